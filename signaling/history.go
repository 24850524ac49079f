package signaling

import (
	"context"
	"fmt"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// Message types of call history (PROTOCOL.md §9.3).
const (
	TypeCallHistory    = "callHistory"
	TypeMarkMissedSeen = "markMissedSeen"
)

// historyTimeout bounds one history read; the hello's missed-call count
// gives up sooner so that a slow database delays no sign-in for long.
const (
	historyTimeout     = 5 * time.Second
	helloMissedTimeout = 2 * time.Second
)

// Call history page sizes.
const (
	defaultHistoryLimit = 20
	maxHistoryLimit     = 100
)

// HistoryReader reads users' call history. The database behind it lives
// outside this package (room/history, wired by cmd); nil disables the
// history requests (`unavailable`) and the hello reports 0 missed calls.
type HistoryReader interface {
	// UserHistory returns up to limit of user's calls that started before
	// before (zero: now), newest first.
	UserHistory(ctx context.Context, user room.UserID, limit int, before time.Time) ([]HistoryEntry, error)
	// UnseenMissed counts user's missed calls not marked seen.
	UnseenMissed(ctx context.Context, user room.UserID) (int, error)
	// MarkMissedSeen marks every missed call of user up to at as seen.
	MarkMissedSeen(ctx context.Context, user room.UserID, at time.Time) error
}

// HistoryEntry is one call as the requesting user saw it (§9.3).
type HistoryEntry struct {
	CallID    string `json:"callID"`
	Type      string `json:"type"`
	Direction string `json:"direction"`
	Outcome   string `json:"outcome"`
	Peers     []User `json:"peers"`
	StartedAt string `json:"startedAt"`
	Duration  int64  `json:"duration"`
	Seen      bool   `json:"seen"`
}

// CallHistoryRequest asks for the caller's call history (§9.3).
type CallHistoryRequest struct {
	Limit  *int   `json:"limit,omitempty"`
	Before string `json:"before,omitempty"`
}

// CallHistoryResult is a page of history, newest first. NextBefore, when
// not empty, is the `before` of the next page.
type CallHistoryResult struct {
	Entries     []HistoryEntry `json:"entries"`
	NextBefore  string         `json:"nextBefore,omitempty"`
	MissedCalls int            `json:"missedCalls"`
}

// MarkMissedSeenRequest marks the caller's missed calls seen (§9.3).
type MarkMissedSeenRequest struct{}

// MarkMissedSeenResult reports the unseen missed calls left (0 unless one
// arrived meanwhile).
type MarkMissedSeenResult struct {
	MissedCalls int `json:"missedCalls"`
}

func (r *CallHistoryRequest) validate() error {
	if r.Limit != nil && (*r.Limit < 1 || *r.Limit > maxHistoryLimit) {
		return badRequest("limit must be 1..%d", maxHistoryLimit)
	}
	if r.Before != "" {
		if _, err := time.Parse(time.RFC3339Nano, r.Before); err != nil {
			return badRequest("before must be an RFC 3339 time")
		}
	}
	return nil
}

func (*MarkMissedSeenRequest) validate() error { return nil }

// unavailable returns an ErrUnavailable with a readable message.
func unavailable(msg string) error { return fmt.Errorf("%w: %s", ErrUnavailable, msg) }

// historyRequest answers the history requests, which any node can serve
// from the shared database; it reports whether v was one.
func (s *Server) historyRequest(c *conn, id *string, v validator) bool {
	switch r := v.(type) {
	case *CallHistoryRequest:
		res, err := s.callHistory(c.sess.caller().User, r)
		if err != nil {
			c.sendErr(id, err)
			return true
		}
		c.sendResult(id, res)
	case *MarkMissedSeenRequest:
		res, err := s.markMissedSeen(c.sess.caller().User)
		if err != nil {
			c.sendErr(id, err)
			return true
		}
		c.sendResult(id, res)
	default:
		return false
	}
	return true
}

// callHistory reads one page of user's history.
func (s *Server) callHistory(user room.UserID, r *CallHistoryRequest) (CallHistoryResult, error) {
	h := s.cfg.History
	if h == nil {
		return CallHistoryResult{}, unavailable("call history is not enabled on this server")
	}
	limit := defaultHistoryLimit
	if r.Limit != nil {
		limit = *r.Limit
	}
	var before time.Time
	if r.Before != "" {
		before, _ = time.Parse(time.RFC3339Nano, r.Before)
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	entries, err := h.UserHistory(ctx, user, limit, before)
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", string(user)).Msg("call history read failed")
		return CallHistoryResult{}, unavailable("call history is unavailable, try again later")
	}
	missed, err := h.UnseenMissed(ctx, user)
	if err != nil {
		return CallHistoryResult{}, unavailable("call history is unavailable, try again later")
	}
	res := CallHistoryResult{Entries: entries, MissedCalls: missed}
	if res.Entries == nil {
		res.Entries = []HistoryEntry{}
	}
	if len(entries) == limit {
		res.NextBefore = entries[len(entries)-1].StartedAt
	}
	return res, nil
}

// markMissedSeen marks user's missed calls seen up to now.
func (s *Server) markMissedSeen(user room.UserID) (MarkMissedSeenResult, error) {
	h := s.cfg.History
	if h == nil {
		return MarkMissedSeenResult{}, unavailable("call history is not enabled on this server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	if err := h.MarkMissedSeen(ctx, user, time.Now()); err != nil {
		s.log.Warn().Err(err).Str("user_id", string(user)).Msg("mark missed seen failed")
		return MarkMissedSeenResult{}, unavailable("call history is unavailable, try again later")
	}
	n, err := h.UnseenMissed(ctx, user)
	if err != nil {
		return MarkMissedSeenResult{}, unavailable("call history is unavailable, try again later")
	}
	return MarkMissedSeenResult{MissedCalls: n}, nil
}

// helloMissed counts user's unseen missed calls for the hello result; 0
// when history is off or the database does not answer quickly.
func (s *Server) helloMissed(user string) int {
	h := s.cfg.History
	if h == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), helloMissedTimeout)
	defer cancel()
	n, err := h.UnseenMissed(ctx, room.UserID(user))
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", user).Msg("missed-call count for hello failed")
		return 0
	}
	return n
}
