package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// deadlineStored reports whether what of call is in the deadlines set.
func deadlineStored(t *testing.T, s *Store, call room.CallID, what string) bool {
	t.Helper()
	_, err := s.rdb.ZScore(ctxT(t), s.deadlinesKey(), member(call, what)).Result()
	if errors.Is(err, redis.Nil) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestDeadlineWritesGoWithTheSnapshot checks the batching of deadline
// writes: a scheduled deadline is stored with the next snapshot, a stopped
// one is removed by the next flush, one nobody flushes is stored by the
// sweep and fires, and the call's end removes one stopped just before.
func TestDeadlineWritesGoWithTheSnapshot(t *testing.T) {
	p := testPrefix(t)
	s := newStore(t, p, "A", Config{})
	n := NewNode(s, NodeConfig{SweepInterval: 20 * time.Millisecond})
	if err := n.Own("c1"); err != nil {
		t.Fatal(err)
	}
	fired := make(chan string, 4)
	t1 := n.Schedule("c1", "inv1", time.Minute, func() { fired <- "inv1" })
	if deadlineStored(t, s, "c1", "inv1") {
		t.Fatal("stored before the command's snapshot")
	}
	n.Persist("c1", []byte(`{"callID":"c1"}`), []room.UserID{"alice"})
	if k := s.RoundTripsByKind(); k["script:saveBatch"] != 1 || k["script:addDeadline"] != 0 {
		t.Fatalf("round trips by kind %v, want one saveBatch and no addDeadline", k)
	}
	if !deadlineStored(t, s, "c1", "inv1") {
		t.Fatal("the snapshot did not carry the deadline")
	}
	if data, ok, err := s.LoadSnapshot(ctxT(t), "c1"); err != nil || !ok || string(data) != `{"callID":"c1"}` {
		t.Fatalf("snapshot = %q %v %v", data, ok, err)
	}
	if !t1.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	n.FlushCall("c1")
	if deadlineStored(t, s, "c1", "inv1") {
		t.Fatal("the flush did not remove the stopped deadline")
	}

	// Scheduled and never flushed by a command: the sweep stores it and
	// it fires.
	n.Schedule("c1", "inv2", 50*time.Millisecond, func() { fired <- "inv2" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case w := <-fired:
		if w != "inv2" {
			t.Fatalf("fired %s, want inv2", w)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an unflushed deadline never fired")
	}

	// Stored, then stopped in the command that ends the call: EndCall
	// removes it.
	n.Schedule("c1", "inv3", time.Minute, func() { fired <- "inv3" }).Stop()
	n.Persist("c1", []byte(`{"callID":"c1","v":2}`), nil) // carries the add and the removal
	t4 := n.Schedule("c1", "inv4", time.Minute, func() { fired <- "inv4" })
	n.FlushCall("c1")
	if !deadlineStored(t, s, "c1", "inv4") || deadlineStored(t, s, "c1", "inv3") {
		t.Fatal("inv4 not stored or inv3 not removed")
	}
	t4.Stop()
	n.EndCall("c1", []room.UserID{"alice"})
	if deadlineStored(t, s, "c1", "inv4") {
		t.Fatal("the call's end left a stopped deadline in Redis")
	}
	if _, ok, _ := s.Owner(ctxT(t), "c1"); ok {
		t.Fatal("the call's end left its lease")
	}
}
