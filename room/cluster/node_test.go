package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
)

// recorder is a room.Notifier that records events per user; every user
// counts as connected on one device.
type recorder struct {
	mu  sync.Mutex
	evs map[room.UserID][]room.Event
	at  map[room.UserID][]time.Time
}

func newRecorder() *recorder {
	return &recorder{evs: map[room.UserID][]room.Event{}, at: map[room.UserID][]time.Time{}}
}

func (r *recorder) Notify(to room.Recipient, ev room.Event) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs[to.User] = append(r.evs[to.User], ev)
	r.at[to.User] = append(r.at[to.User], time.Now())
	return 1
}

// count returns how many events of u match f, and when the last came.
func (r *recorder) count(u room.UserID, f func(room.Event) bool) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, last := 0, time.Time{}
	for i, e := range r.evs[u] {
		if f(e) {
			n, last = n+1, r.at[u][i]
		}
	}
	return n, last
}

// clusterNode is a room.Manager whose shared state is a Node on Redis.
type clusterNode struct {
	node *Node
	mgr  *room.Manager
	rec  *recorder
	stop func() // stops the node's loops: as if the process froze or died
}

// startClusterNode runs a Node and a Manager on store s until the test ends.
func startClusterNode(t *testing.T, s *Store, cfg NodeConfig) *clusterNode {
	t.Helper()
	var m *room.Manager
	cfg.Restore = func(b []byte) error { return m.Restore(b) }
	cfg.Resync = func() { m.Resync() }
	n := NewNode(s, cfg)
	rec := newRecorder()
	m, err := room.NewManager(room.ManagerConfig{Notifier: rec, Index: n, Ownership: n, Deadlines: n, Persister: n})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(func() { stop(); m.Close() })
	return &clusterNode{node: n, mgr: m, rec: rec, stop: stop}
}

// do runs a Manager operation and returns its result.
func do(t *testing.T, op func(room.Reply)) (any, error) {
	t.Helper()
	type out struct {
		res any
		err error
	}
	ch := make(chan out, 1)
	op(func(res any, err error) { ch <- out{res, err} })
	select {
	case o := <-ch:
		return o.res, o.err
	case <-time.After(10 * time.Second):
		t.Fatal("no reply")
		return nil, nil
	}
}

func invite(timeout time.Duration, users ...room.UserID) room.InviteRequest {
	req := room.InviteRequest{Type: room.CallVideo, Timeout: timeout}
	for _, u := range users {
		req.Invitees = append(req.Invitees, room.User{ID: u})
	}
	return req
}

func who(u room.UserID) room.Caller { return room.Caller{User: u, Device: "d1"} }

// TestManagersShareBusyAndDeadlines runs two Managers ("nodes") on one
// redis-server: the busy rule holds across them, and a ring timeout fires
// exactly once, on time, through the durable deadline.
func TestManagersShareBusyAndDeadlines(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := startClusterNode(t, newStore(t, p, "A", Config{}), NodeConfig{})
	b := startClusterNode(t, newStore(t, p, "B", Config{}), NodeConfig{})

	const ring = 700 * time.Millisecond
	start := time.Now()
	res, err := do(t, func(r room.Reply) { a.mgr.Invite(who("alice"), invite(ring, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	callID := res.(room.InviteResult).CallID
	if sl, ok, _ := b.node.Store().SlotOf(ctx, "bob"); !ok || sl.Call != callID || sl.Member {
		t.Fatalf("bob's slot seen from B = %+v %v", sl, ok)
	}
	if l, ok, _ := b.node.Store().Owner(ctx, callID); !ok || l.Node != "A" {
		t.Fatalf("owner = %+v %v, want A", l, ok)
	}
	// On node B, carol rings bob (ringing on A) and alice (member on A).
	res, err = do(t, func(r room.Reply) { b.mgr.Invite(who("carol"), invite(time.Minute, "bob", "alice"), r) })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.(room.InviteResult).Invitees {
		if o.State != room.StatusBusy {
			t.Errorf("%s is %s on B, want busy", o.User.ID, o.State)
		}
	}
	// Alice cannot start a second call on B while a member on A.
	if _, err := do(t, func(r room.Reply) { b.mgr.Join(who("alice"), "other", room.CallVoice, nil, r) }); !errors.Is(err, room.ErrBusy) {
		t.Fatalf("alice joining a call on B while in one on A: %v, want busy", err)
	}
	isTimeout := func(e room.Event) bool { _, ok := e.(room.OutgoingTimeout); return ok }
	waitFor(t, 5*time.Second, "alice's outgoing timeout", func() bool {
		n, _ := a.rec.count("alice", isTimeout)
		return n > 0
	})
	_, at := a.rec.count("alice", isTimeout)
	late := at.Sub(start.Add(ring))
	if late < -50*time.Millisecond || late > time.Second {
		t.Fatalf("ring timeout fired %v after its deadline, want within ±1 s", late)
	}
	waitFor(t, 5*time.Second, "the call to end and free everyone", func() bool {
		_, busy, _ := b.node.Store().SlotOf(ctx, "bob")
		_, owned, _ := b.node.Store().Owner(ctx, callID)
		return a.mgr.Calls() == 0 && !busy && !owned
	})
	// Nothing fires twice: give the sweepers several rounds.
	time.Sleep(300 * time.Millisecond)
	if n, _ := a.rec.count("alice", isTimeout); n != 1 {
		t.Fatalf("outgoing timeout fired %d times", n)
	}
	if n, _ := a.rec.count("bob", func(e room.Event) bool { _, ok := e.(room.IncomingCallTimeout); return ok }); n != 1 {
		t.Fatalf("bob got %d incomingCallTimeout", n)
	}
	if z, _ := a.node.Store().rdb.ZCard(ctx, a.node.Store().deadlinesKey()).Result(); z != 0 {
		t.Fatalf("%d deadlines left", z)
	}
	t.Logf("ring timeout of %v fired once, %v late", ring, late)
}

// TestNodeLosesLeaseWhenTakenOver pauses a node's renewal past its lease
// TTL while another node takes the call: the paused node is told it lost
// the call and can no longer write it.
func TestNodeLosesLeaseWhenTakenOver(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{LeaseTTL: 200 * time.Millisecond}
	lost := make(chan room.CallID, 4)
	sa := newStore(t, p, "A", cfg)
	a := NewNode(sa, NodeConfig{LeaseLost: func(c room.CallID) { lost <- c }})
	if err := a.Own("c1"); err != nil {
		t.Fatal(err)
	}
	// A is "paused": nothing renews. B takes the call once the lease lapses.
	b := NewNode(newStore(t, p, "B", cfg), NodeConfig{})
	waitFor(t, 2*time.Second, "B to own c1", func() bool { return b.Own("c1") == nil })
	// A "continues".
	a.renew(ctx)
	select {
	case c := <-lost:
		if c != "c1" {
			t.Fatalf("lost %s", c)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("A was not told it lost c1")
	}
	if ok, err := a.ReserveRing("bob", "c1"); ok || err == nil {
		t.Fatalf("A reserved for a call it lost: %v %v", ok, err)
	}
	if _, err := b.ReserveRing("bob", "c1"); err != nil {
		t.Fatal(err)
	}
}

// TestNodeReclaimsAfterRedisRestart restarts an empty redis-server under a
// node that owns a call: the node reclaims its lease (nobody else took the
// call) instead of dropping the call.
func TestNodeReclaimsAfterRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	p := testPrefix(t)
	lost := make(chan room.CallID, 1)
	// OpTimeout leaves room for a starved -race run: 200 ms timed out the
	// reserve below once on a busy CI machine.
	s := openOn(t, srv, p, "A", Config{LeaseTTL: 300 * time.Millisecond, OpTimeout: time.Second})
	n := NewNode(s, NodeConfig{LeaseLost: func(c room.CallID) { lost <- c }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := n.Own("c1"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "lease back in the restarted redis", func() bool {
		l, ok, _ := s.Owner(context.Background(), "c1")
		return ok && l.Node == "A"
	})
	select {
	case c := <-lost:
		t.Fatalf("node dropped %s after a Redis restart", c)
	default:
	}
	// The pool may still be dialling after the restart: a reserve that
	// fails with unavailable is retried; one that says busy is wrong.
	var ok bool
	var err error
	waitFor(t, 5*time.Second, "a ring reserve after the reclaim", func() bool {
		ok, err = n.ReserveRing("bob", "c1")
		if err == nil && !ok {
			t.Fatalf("reserve after reclaim: bob busy")
		}
		return ok && err == nil
	})
}

// TestNodeResyncsAfterEmptyRestart restarts redis-server (empty) under a
// node with a ringing call: the node reclaims the lease and writes the
// busy slots, snapshot and ring deadline again, so the call is whole in
// the new Redis and the timeout still fires once.
func TestNodeResyncsAfterEmptyRestart(t *testing.T) {
	srv := redistest.Start(t)
	p := testPrefix(t)
	cfg := Config{LeaseTTL: 400 * time.Millisecond, OpTimeout: 200 * time.Millisecond}
	a := startClusterNode(t, openOn(t, srv, p, "A", cfg), NodeConfig{})
	res, err := do(t, func(r room.Reply) { a.mgr.Invite(who("alice"), invite(8*time.Second, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(room.InviteResult).CallID
	start := time.Now()
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	probe := openOn(t, srv, p, "probe", cfg)
	ctx := ctxT(t)
	// Generous: go-redis probes a refused dial again only once a second.
	waitFor(t, 15*time.Second, "the call to be whole again in Redis", func() bool {
		l, owned, _ := probe.Owner(ctx, id)
		sa, okA, _ := probe.SlotOf(ctx, "alice")
		sb, okB, _ := probe.SlotOf(ctx, "bob")
		_, snap, _ := probe.LoadSnapshot(ctx, id)
		n, _ := probe.rdb.ZCard(ctx, probe.deadlinesKey()).Result()
		return owned && l.Node == "A" && okA && sa.Member && okB && !sb.Member && sb.Call == id && snap && n == 1
	})
	isTimeout := func(e room.Event) bool { _, ok := e.(room.OutgoingTimeout); return ok }
	waitFor(t, 12*time.Second, "the ring timeout", func() bool { n, _ := a.rec.count("alice", isTimeout); return n > 0 })
	if el := time.Since(start); el < 7*time.Second || el > 9*time.Second {
		t.Fatalf("timeout after %v, want about 8 s", el)
	}
	time.Sleep(300 * time.Millisecond) // several sweeps: nothing may fire twice
	if n, _ := a.rec.count("alice", isTimeout); n != 1 {
		t.Fatalf("timeout fired %d times", n)
	}
}
