package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/history"
	"github.com/ringsfu/ringsfu/signaling"
)

// callHistory is the server's call history: the store and the recorder
// that feeds it from the rooms.
type callHistory struct {
	store  *history.Store
	rec    *history.Recorder
	closed bool // owned by serve's goroutine
}

// openHistory opens the history database (SQLite under --data-dir, or
// --database-url) and starts its recorder; --history=false disables it.
func openHistory(cfg Config, log zerolog.Logger, reg prometheus.Registerer) (*callHistory, error) {
	if cfg.NoHistory {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := history.Open(ctx, history.StoreConfig{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("call history: %w", err)
	}
	log.Info().Str("database", st.Where()).Dur("retention", cfg.HistoryRetention).Msg("call history")
	rec := history.NewRecorder(history.RecorderConfig{Store: st, Retention: cfg.HistoryRetention,
		Registerer: reg, Logger: log.With().Str("component", "history").Logger()})
	return &callHistory{store: st, rec: rec}, nil
}

// close writes what is queued (until ctx ends) and closes the database.
func (h *callHistory) close(ctx context.Context) {
	if h == nil || h.closed {
		return
	}
	h.closed = true
	h.rec.Close(ctx)
	_ = h.store.Close()
}

// recorder returns what the rooms report to, nil when history is off.
func (h *callHistory) recorder() room.History {
	if h == nil {
		return nil
	}
	return h.rec
}

// reader returns what signaling reads history through, nil when off.
func (h *callHistory) reader() signaling.HistoryReader {
	if h == nil {
		return nil
	}
	return historyReader{h.store}
}

// historyReader adapts the store to signaling's HistoryReader.
type historyReader struct{ st *history.Store }

var _ signaling.HistoryReader = historyReader{}

func (r historyReader) UserHistory(ctx context.Context, user room.UserID, limit int, before time.Time) ([]signaling.HistoryEntry, error) {
	es, err := r.st.UserHistory(ctx, history.Query{User: string(user), Limit: limit, Before: before}, "")
	if err != nil {
		return nil, err
	}
	out := make([]signaling.HistoryEntry, len(es))
	for i, e := range es {
		out[i] = wireEntry(e)
	}
	return out, nil
}

func (r historyReader) UnseenMissed(ctx context.Context, user room.UserID) (int, error) {
	return r.st.UnseenMissed(ctx, string(user))
}

func (r historyReader) MarkMissedSeen(ctx context.Context, user room.UserID, at time.Time) error {
	return r.st.MarkSeen(ctx, string(user), at)
}

// wireEntry converts a history entry to its signaling form.
func wireEntry(e history.Entry) signaling.HistoryEntry {
	peers := make([]signaling.User, len(e.Peers))
	for i, p := range e.Peers {
		peers[i] = signaling.User{ID: p.ID, Name: p.Name}
	}
	return signaling.HistoryEntry{CallID: e.CallID, Type: e.Type, Direction: e.Direction, Outcome: e.Outcome,
		Peers: peers, StartedAt: e.StartedAt.UTC().Format(wireTime), Duration: e.Duration, Seen: e.Seen}
}

// wireTime is how history times go on the wire: RFC 3339, UTC, milliseconds.
const wireTime = "2006-01-02T15:04:05.000Z07:00"

// api returns what the server API reads history through, nil when off.
func (h *callHistory) api() signaling.HistoryAPI {
	if h == nil {
		return nil
	}
	return historyReader{h.store}
}

var _ signaling.HistoryAPI = historyReader{}

func (r historyReader) UserEntries(ctx context.Context, q signaling.HistoryQuery) ([]signaling.HistoryEntry, error) {
	es, err := r.st.UserHistory(ctx, history.Query{User: q.User, From: q.From, To: q.To, Before: q.Before, Limit: q.Limit}, q.Outcome)
	if err != nil {
		return nil, err
	}
	out := make([]signaling.HistoryEntry, len(es))
	for i, e := range es {
		out[i] = wireEntry(e)
	}
	return out, nil
}

func (r historyReader) CallRecords(ctx context.Context, q signaling.HistoryQuery) (any, int, string, error) {
	calls, err := r.st.Calls(ctx, history.Query{User: q.User, From: q.From, To: q.To, Before: q.Before, Limit: q.Limit})
	if err != nil {
		return nil, 0, "", err
	}
	last := ""
	if len(calls) > 0 {
		last = calls[len(calls)-1].StartedAt.Format(wireTime)
	}
	return calls, len(calls), last, nil
}

func (r historyReader) CallRecord(ctx context.Context, id string) (any, error) {
	c, err := r.st.Call(ctx, id)
	if errors.Is(err, history.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", signaling.ErrNoRecord, err)
	}
	return c, err
}
