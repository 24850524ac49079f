package history

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// TestRecorderDatabaseDownAndBack stops the real PostgreSQL server while
// calls are recorded: nothing blocks, every batch is retried, and all calls
// are in the database once it is back. (SQLite is a file in-process: it has
// no outage to simulate.)
func TestRecorderDatabaseDownAndBack(t *testing.T) {
	s := open(t, freshPostgres(t))
	r := newRec(t, s, RecorderConfig{RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	pg.Stop()
	t.Cleanup(func() { _ = pg.Start() })
	start := time.Now()
	for i := 0; i < 20; i++ {
		id := room.CallID(fmt.Sprintf("down-%d", i))
		r.CallStarted(id, room.CallVoice, u("alice"), at(i))
		r.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusWaiting, at(i))
		r.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusTimeout, at(i+30))
		r.CallEnded(id, "noAnswer", at(i+30))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("recording 80 ops with the database down took %v: it blocked", d)
	}
	waitFor(t, "failed writes", func() bool { return counterValue(r.m.errors) >= 2 })
	if p := r.Pending(); p != 80 {
		t.Fatalf("pending while down = %d, want 80", p)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	drained(t, r)
	calls, err := s.Calls(context.Background(), Query{User: "bob", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 20 {
		t.Fatalf("%d calls after the outage, want 20", len(calls))
	}
	if n, _ := s.UnseenMissed(context.Background(), "bob"); n != 20 {
		t.Fatalf("bob's unseen missed = %d, want 20", n)
	}
	if d := r.Dropped("overflow") + r.Dropped("shutdown"); d != 0 {
		t.Fatalf("dropped %v", d)
	}
}

// TestRecorderOverflowIsCounted fills a small queue while PostgreSQL is
// down: what does not fit is dropped and counted, never waited for, and
// what is still queued when Close gives up is counted as lost.
func TestRecorderOverflowIsCounted(t *testing.T) {
	s := open(t, freshPostgres(t))
	r := NewRecorder(RecorderConfig{Store: s, QueueSize: 4, BatchSize: 2, Retention: -1, RetryMin: 20 * time.Millisecond})
	pg.Stop()
	t.Cleanup(func() { _ = pg.Start() })
	r.CallStarted("o-0", room.CallVoice, u("alice"), at(0))
	waitFor(t, "a failed write", func() bool { return counterValue(r.m.errors) >= 1 })
	for i := 1; i < 20; i++ {
		r.CallStarted(room.CallID(fmt.Sprintf("o-%d", i)), room.CallVoice, u("alice"), at(i))
	}
	pending := r.Pending()
	if pending != 5 { // one in flight, four queued
		t.Fatalf("pending = %d, want 5", pending)
	}
	if d := r.Dropped("overflow"); d != 15 {
		t.Fatalf("overflow drops = %v, want 15", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r.Close(ctx)
	if d := r.Dropped("shutdown"); d != 5 {
		t.Fatalf("shutdown drops = %v, want 5", d)
	}
	if r.Pending() != 0 {
		t.Fatalf("pending after close = %d", r.Pending())
	}
}
