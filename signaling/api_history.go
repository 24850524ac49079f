package signaling

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// HistoryQuery selects call records for the server API.
type HistoryQuery struct {
	User     string
	From, To time.Time
	Before   time.Time
	Limit    int
	Outcome  string // user history only: the user's outcome
}

// ErrNoRecord is returned by HistoryAPI.CallRecord for an unknown record.
var ErrNoRecord = errors.New("no such call record")

// HistoryAPI is the backend's read access to call history (package
// room/history behind an adapter in cmd). Records are JSON-encodable
// values; their shape is documented in openapi.json.
type HistoryAPI interface {
	// UserEntries returns user's view of its calls, newest first.
	UserEntries(ctx context.Context, q HistoryQuery) ([]HistoryEntry, error)
	// CallRecords returns full call records, newest first, and the start
	// time of the last one ("" for none).
	CallRecords(ctx context.Context, q HistoryQuery) (records any, n int, last string, err error)
	// CallRecord returns one record by record id or call id, or an error
	// wrapping ErrNoRecord.
	CallRecord(ctx context.Context, id string) (any, error)
}

// Server API history page sizes.
const (
	defaultAPIHistoryLimit = 50
	maxAPIHistoryLimit     = 200
)

// historyOutcomes are the outcomes a user's history can be filtered by.
var historyOutcomes = map[string]bool{"answered": true, "missed": true, "declined": true, "canceled": true,
	"busy": true, "noAnswer": true, "ongoing": true}

// historyQuery reads limit, before, from, to and outcome.
func historyQuery(r *http.Request) (HistoryQuery, error) {
	q := HistoryQuery{}
	var err error
	if q.Limit, err = queryLimit(r, defaultAPIHistoryLimit, maxAPIHistoryLimit); err != nil {
		return q, err
	}
	for name, dst := range map[string]*time.Time{"before": &q.Before, "from": &q.From, "to": &q.To} {
		if v := r.URL.Query().Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return q, badRequest("%s must be an RFC 3339 time", name)
			}
		}
	}
	q.Outcome = r.URL.Query().Get("outcome")
	if q.Outcome != "" && !historyOutcomes[q.Outcome] {
		return q, badRequest("outcome: unknown %q", q.Outcome)
	}
	return q, nil
}

// historyAPI returns the configured history or an unavailable error.
func (s *Server) historyAPI() (HistoryAPI, error) {
	if s.cfg.HistoryAPI == nil {
		return nil, unavailable("call history is not enabled on this server")
	}
	return s.cfg.HistoryAPI, nil
}

// apiUserHistory returns one user's history entries.
func (s *Server) apiUserHistory(w http.ResponseWriter, r *http.Request) (any, error) {
	h, err := s.historyAPI()
	if err != nil {
		return nil, err
	}
	u, err := pathID(r, "userID", maxIDLen)
	if err != nil {
		return nil, err
	}
	q, err := historyQuery(r)
	if err != nil {
		return nil, err
	}
	q.User = u
	ctx, cancel := context.WithTimeout(r.Context(), historyTimeout)
	defer cancel()
	es, err := h.UserEntries(ctx, q)
	if err != nil {
		return nil, s.historyErr(err)
	}
	res := CallHistoryResult{Entries: es}
	if res.Entries == nil {
		res.Entries = []HistoryEntry{}
	}
	if len(es) == q.Limit {
		res.NextBefore = es[len(es)-1].StartedAt
	}
	return struct {
		Entries    []HistoryEntry `json:"entries"`
		NextBefore string         `json:"nextBefore,omitempty"`
	}{res.Entries, res.NextBefore}, nil
}

// apiHistoryCalls returns full call records.
func (s *Server) apiHistoryCalls(w http.ResponseWriter, r *http.Request) (any, error) {
	h, err := s.historyAPI()
	if err != nil {
		return nil, err
	}
	q, err := historyQuery(r)
	if err != nil {
		return nil, err
	}
	if q.Outcome != "" {
		return nil, badRequest("outcome filters one user's history: use /v1/api/users/{userID}/history")
	}
	if u := r.URL.Query().Get("user"); u != "" {
		if err := checkUserID("user", u); err != nil {
			return nil, err
		}
		q.User = u
	}
	ctx, cancel := context.WithTimeout(r.Context(), historyTimeout)
	defer cancel()
	recs, n, last, err := h.CallRecords(ctx, q)
	if err != nil {
		return nil, s.historyErr(err)
	}
	out := struct {
		Calls      any    `json:"calls"`
		NextBefore string `json:"nextBefore,omitempty"`
	}{Calls: recs}
	if n == q.Limit {
		out.NextBefore = last
	}
	return out, nil
}

// apiHistoryCall returns one call record.
func (s *Server) apiHistoryCall(w http.ResponseWriter, r *http.Request) (any, error) {
	h, err := s.historyAPI()
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "recordID", maxCallIDLen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), historyTimeout)
	defer cancel()
	rec, err := h.CallRecord(ctx, id)
	if errors.Is(err, ErrNoRecord) {
		return nil, fmt.Errorf("%w: no call record %s", room.ErrNotFound, id)
	}
	if err != nil {
		return nil, s.historyErr(err)
	}
	return rec, nil
}

// historyErr logs a database failure and hides it behind unavailable.
func (s *Server) historyErr(err error) error {
	s.log.Warn().Err(err).Msg("server API: call history read failed")
	return unavailable("call history is unavailable, try again later")
}
