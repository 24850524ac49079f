package cluster

import (
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

func TestPresenceFollowsNodeLiveness(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{NodeTTL: 300 * time.Millisecond}
	a := newStore(t, p, "A", cfg)
	b := newStore(t, p, "B", cfg)
	for _, s := range []*Store{a, b} {
		if err := s.Heartbeat(ctx, Load{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetPresence(ctx, "alice", "phone", "s1"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPresence(ctx, "alice", "laptop", "s2"); err != nil {
		t.Fatal(err)
	}
	got, err := b.DevicesOf(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Device < got[j].Device })
	want := []Presence{{"laptop", "B", "s2"}, {"phone", "A", "s1"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("devices = %v, want %v", got, want)
	}
	// The laptop moved to A with a new session: B's stale clear is a no-op.
	if err := a.SetPresence(ctx, "alice", "laptop", "s3"); err != nil {
		t.Fatal(err)
	}
	if err := b.ClearPresence(ctx, "alice", "laptop", "s2"); err != nil {
		t.Fatal(err)
	}
	got, _ = b.DevicesOf(ctx, "alice")
	if len(got) != 2 {
		t.Fatalf("stale clear removed the moved device: %v", got)
	}
	if err := a.ClearPresence(ctx, "alice", "laptop", "s3"); err != nil {
		t.Fatal(err)
	}
	// An empty session clears whatever session of this node holds it.
	if err := a.SetPresence(ctx, "alice", "watch", "s9"); err != nil {
		t.Fatal(err)
	}
	if err := b.ClearPresence(ctx, "alice", "watch", ""); err != nil {
		t.Fatal(err)
	}
	if m, _ := b.DeviceNodes(ctx, "alice"); m["watch"] != "A" {
		t.Fatalf("B cleared A's device: %v", m)
	}
	if err := a.ClearPresence(ctx, "alice", "watch", ""); err != nil {
		t.Fatal(err)
	}
	if m, _ := b.DeviceNodes(ctx, "alice"); m["watch"] != "" {
		t.Fatalf("watch not cleared: %v", m)
	}
	// A dies (stops beating): its devices vanish with its heartbeat.
	if err := b.SetPresence(ctx, "alice", "tablet", "s4"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "A's devices to vanish", func() bool {
		_ = b.Heartbeat(ctx, Load{})
		got, err := b.DevicesOf(ctx, "alice")
		return err == nil && len(got) == 1 && got[0].Device == "tablet"
	})
}

// TestResumeMoveOneWinner: two nodes race to resume one session of a dead
// node; exactly one wins.
func TestResumeMoveOneWinner(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := newStore(t, p, "A", Config{})
	if err := a.KeepResume(ctx, "s1", "alice", "phone", "c1", time.Minute); err != nil {
		t.Fatal(err)
	}
	u, d, c, n, err := a.ResumeOf(ctx, "s1")
	if err != nil || u != "alice" || d != "phone" || c != "c1" || n != "A" {
		t.Fatalf("ResumeOf = %s %s %s %s %v", u, d, c, n, err)
	}
	if _, _, _, _, err := a.ResumeOf(ctx, "nope"); !errors.Is(err, room.ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
	// While A is alive, nobody can move its session.
	if err := a.Heartbeat(ctx, Load{}); err != nil {
		t.Fatal(err)
	}
	if err := newStore(t, p, "X", Config{}).MoveResume(ctx, "s1", "A", time.Minute); !errors.Is(err, ErrMoved) {
		t.Fatalf("moved a live node's session: %v", err)
	}
	if err := a.Leave(ctx); err != nil { // A is gone
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan string, 2)
	for _, n := range []string{"B", "C"} {
		s := newStore(t, p, n, Config{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.MoveResume(ctx, "s1", "A", 20*time.Second)
			switch {
			case err == nil:
				wins <- s.NodeID()
			case !errors.Is(err, ErrMoved):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	winner := <-wins
	if winner == "" || len(wins) != 0 {
		t.Fatal("not exactly one winner")
	}
	if _, _, _, n, _ := a.ResumeOf(ctx, "s1"); n != winner {
		t.Fatalf("record names %s, winner %s", n, winner)
	}
	// A's delete no longer applies; the winner's does.
	if err := a.DeleteResume(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := a.ResumeOf(ctx, "s1"); err != nil {
		t.Fatal("the old node deleted a moved record")
	}
	w := newStore(t, p, winner, Config{})
	if err := w.DeleteResume(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := a.ResumeOf(ctx, "s1"); !errors.Is(err, room.ErrNotFound) {
		t.Fatal("record left after delete")
	}
}
