package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// TestTakeoverMidRing: the owner of a ringing call stops (its loops end,
// as when the process dies); another node adopts the call within a lease
// TTL and the ring timeout fires there exactly once, close to its deadline.
func TestTakeoverMidRing(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{LeaseTTL: 400 * time.Millisecond, NodeTTL: 600 * time.Millisecond}
	a := startClusterNode(t, newStore(t, p, "A", cfg), NodeConfig{})
	b := startClusterNode(t, newStore(t, p, "B", cfg), NodeConfig{})
	const ring = 1500 * time.Millisecond
	start := time.Now()
	res, err := do(t, func(r room.Reply) { a.mgr.Invite(who("alice"), invite(ring, "bob", "carol"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(room.InviteResult).CallID
	if _, err := do(t, func(r room.Reply) { a.mgr.Accept(who("bob"), id, "", r) }); err != nil {
		t.Fatal(err)
	}
	a.stop() // A dies: no more renewals, heartbeats or sweeps
	died := time.Now()
	waitFor(t, 5*time.Second, "B to take the call over", func() bool { return b.mgr.Owns(id) })
	took := time.Since(died)
	if l, ok, _ := b.node.Store().Owner(ctx, id); !ok || l.Node != "B" {
		t.Fatalf("owner after takeover = %+v %v", l, ok)
	}
	// Same call: members, invitee, config, initiator.
	_, state := b.mgr.Attach(who("bob"))
	if state == nil || state.CallID != id || len(state.Members) != 2 || state.Initiator.ID != "alice" {
		t.Fatalf("call state on B: %+v", state)
	}
	isTimeout := func(e room.Event) bool { _, ok := e.(room.OutgoingTimeout); return ok }
	waitFor(t, 5*time.Second, "the ring timeout on B", func() bool { n, _ := b.rec.count("alice", isTimeout); return n > 0 })
	_, at := b.rec.count("alice", isTimeout)
	late := at.Sub(start.Add(ring))
	time.Sleep(300 * time.Millisecond) // several sweeps: nothing may fire twice
	if n, _ := b.rec.count("alice", isTimeout); n != 1 {
		t.Fatalf("timeout fired %d times on B", n)
	}
	if n, _ := a.rec.count("alice", isTimeout); n != 0 {
		t.Fatalf("the dead owner fired the timeout %d times", n)
	}
	if late < -50*time.Millisecond || late > time.Second {
		t.Fatalf("ring timeout %v off its deadline, want within ±1 s", late)
	}
	// A's stale writes are fenced: its room cannot release bob.
	a.mgr.Close()
	if sl, ok, _ := b.node.Store().SlotOf(ctx, "bob"); !ok || sl.Call != id || !sl.Member {
		t.Fatalf("bob's slot after the old owner closed: %+v %v", sl, ok)
	}
	t.Logf("takeover %v after the owner stopped; ring timeout %v late, fired once", took, late)
}

// TestHandOverSendsCallsDirectly: a node that shuts down (Freeze, rooms
// closed, HandOver) sends its call to a live node, which adopts it at once:
// the nodes here scan for dead nodes only every 15 s, so only the direct
// hand-over can move the call within the test's 5 s.
func TestHandOverSendsCallsDirectly(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{NodeTTL: 30 * time.Second}
	a := startClusterNode(t, newStore(t, p, "A", cfg), NodeConfig{})
	b := startClusterNode(t, newStore(t, p, "B", cfg), NodeConfig{})
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	var adopts sync.WaitGroup
	defer adopts.Wait()
	rb := NewRelay(b.node.Store(), 3*time.Second, func(m Message) {
		if m.Kind != KindAdopt {
			return
		}
		adopts.Add(1)
		go func() {
			defer adopts.Done()
			if _, err := b.node.Adopt(rctx, room.CallID(m.Body)); err != nil {
				t.Errorf("adopt: %v", err)
			}
		}()
	})
	if err := rb.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { defer close(done); rb.Run(rctx) }()
	for _, n := range []*clusterNode{a, b} {
		if err := n.node.Store().Heartbeat(ctx, Load{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := do(t, func(r room.Reply) { a.mgr.Invite(who("alice"), invite(time.Minute, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(room.InviteResult).CallID
	a.node.Freeze()
	a.mgr.Close()
	start := time.Now()
	if err := a.node.HandOver(ctx, NewRelay(a.node.Store(), 3*time.Second, func(Message) {})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B to adopt the handed-over call", func() bool { return b.mgr.Owns(id) })
	_, state := b.mgr.Attach(who("alice"))
	if state == nil || state.CallID != id || len(state.Invitees) != 1 {
		t.Fatalf("call state on B: %+v", state)
	}
	t.Logf("call adopted %v after the hand-over began", time.Since(start))
}
