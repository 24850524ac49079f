package cluster

import (
	"errors"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

func TestHeartbeatFreshnessAndDeath(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{NodeTTL: 400 * time.Millisecond, StaleAfter: 200 * time.Millisecond, LeaseTTL: 300 * time.Millisecond}
	a := newStore(t, p, "A", cfg)
	b := newStore(t, p, "B", cfg)
	if a.OwnFresh() {
		t.Fatal("fresh before any heartbeat")
	}
	if err := a.Heartbeat(ctx, Load{CPU: 0.5, PacketsPerSec: 1000, Calls: 3}); err != nil {
		t.Fatal(err)
	}
	if err := b.Heartbeat(ctx, Load{CPU: 0.1, Draining: true}); err != nil {
		t.Fatal(err)
	}
	if !a.OwnFresh() {
		t.Fatal("not fresh right after a heartbeat")
	}
	live, dead, err := b.Nodes(ctx)
	if err != nil || len(live) != 2 || len(dead) != 0 {
		t.Fatalf("Nodes = %v %v %v", live, dead, err)
	}
	for _, n := range live {
		if !n.Fresh {
			t.Errorf("%v not fresh", n)
		}
		if n.ID == "A" && (n.Load.CPU != 0.5 || n.Load.PacketsPerSec != 1000 || n.Load.Calls != 3 || n.Load.Draining) {
			t.Errorf("A's load read back as %+v", n.Load)
		}
		if n.ID == "B" && !n.Load.Draining {
			t.Errorf("B's draining flag lost")
		}
	}
	// A stops beating: first stale (by Redis time), then dead.
	waitFor(t, 2*time.Second, "A stale", func() bool {
		if err := b.Heartbeat(ctx, Load{}); err != nil {
			t.Fatal(err)
		}
		live, _, _ := b.Nodes(ctx)
		for _, n := range live {
			if n.ID == "A" {
				return !n.Fresh
			}
		}
		return false
	})
	if a.OwnFresh() {
		t.Fatal("A sees itself fresh without heartbeats")
	}
	l, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "A dead", func() bool {
		_ = b.Heartbeat(ctx, Load{})
		_, dead, _ := b.Nodes(ctx)
		return len(dead) == 1 && dead[0] == "A"
	})
	// A dead node is forgotten only once its calls are adopted.
	if ok, _ := b.ForgetNode(ctx, "A"); ok {
		t.Fatal("forgot a node that still owns calls")
	}
	orphans, err := b.OrphansOf(ctx, "A")
	if err != nil || len(orphans) != 1 || orphans[0] != "c1" {
		t.Fatalf("orphans = %v %v", orphans, err)
	}
	if err := b.Disown(ctx, "B", "x"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "c1's lease to lapse", func() bool {
		_ = b.Heartbeat(ctx, Load{})
		_, err := b.Acquire(ctx, "c1")
		return err == nil
	})
	if err := a.Renew(ctx, l); !errors.Is(err, ErrFenced) {
		t.Fatalf("dead node renewed: %v", err)
	}
	if err := b.Disown(ctx, "A", "c1"); err != nil {
		t.Fatal(err)
	}
	_ = b.Heartbeat(ctx, Load{})
	if ok, err := b.ForgetNode(ctx, "A"); !ok || err != nil {
		t.Fatalf("ForgetNode = %v %v", ok, err)
	}
	if _, dead, _ := b.Nodes(ctx); len(dead) != 0 {
		t.Fatalf("dead after forget: %v", dead)
	}
}

func TestPlace(t *testing.T) {
	pol := Policy{MaxCPU: 0.8, MaxCalls: 100}
	fresh := func(id string, cpu float64, calls int) NodeInfo {
		return NodeInfo{ID: id, Load: Load{CPU: cpu, Calls: calls}, Fresh: true}
	}
	nodes := []NodeInfo{fresh("A", 0.9, 10), fresh("B", 0.2, 10), fresh("C", 0.5, 10),
		{ID: "D", Load: Load{CPU: 0}, Fresh: false}, {ID: "E", Load: Load{Draining: true}, Fresh: true}}
	seq := func(v ...int) func(int) int {
		return func(n int) int { x := v[0] % n; v = v[1:]; return x }
	}
	cases := []struct {
		name      string
		self      string
		load      Load
		selfFresh bool
		nodes     []NodeInfo
		intn      func(int) int
		want      string
		err       error
	}{
		{"stale self refuses", "B", Load{}, false, nodes, nil, "", room.ErrUnavailable},
		{"initiator's node when not overloaded", "C", Load{CPU: 0.5}, true, nodes, nil, "C", nil},
		{"overloaded self: less loaded of two", "A", Load{CPU: 0.9}, true, nodes, seq(0, 0), "B", nil},
		{"overloaded by calls", "C", Load{CPU: 0.1, Calls: 100}, true, nodes, seq(0, 0), "B", nil},
		{"draining self goes elsewhere", "E", Load{Draining: true}, true, nodes, seq(1, 0), "B", nil},
		{"stale and draining nodes never chosen", "A", Load{CPU: 0.9}, true,
			[]NodeInfo{fresh("A", 0.9, 0), {ID: "D", Fresh: false}, {ID: "E", Load: Load{Draining: true}, Fresh: true}},
			nil, "A", nil},
		{"all overloaded: least of two", "A", Load{CPU: 0.95}, true,
			[]NodeInfo{fresh("A", 0.95, 0), fresh("B", 0.85, 0)}, seq(0, 0), "B", nil},
		{"draining alone refuses", "A", Load{Draining: true}, true, []NodeInfo{{ID: "A", Fresh: true}}, nil, "", room.ErrUnavailable},
	}
	for _, c := range cases {
		got, err := Place(c.self, c.load, c.selfFresh, c.nodes, pol, c.intn)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: Place = %q %v, want %q", c.name, got, err, c.want)
		}
	}
}

// TestPlaceSpreadsBursts checks power of two choices: a burst of 1000
// placements from an overloaded node, over 10 nodes with equal (stale
// until the next heartbeat) figures, spreads over every node instead of
// herding onto one.
func TestPlaceSpreadsBursts(t *testing.T) {
	var nodes []NodeInfo
	for i := 0; i < 10; i++ {
		nodes = append(nodes, NodeInfo{ID: string(rune('A' + i)), Load: Load{CPU: 0.3}, Fresh: true})
	}
	counts := map[string]int{}
	for i := 0; i < 1000; i++ {
		got, err := Place("X", Load{CPU: 0.99}, true, nodes, Policy{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[got]++
	}
	for _, n := range nodes {
		if c := counts[n.ID]; c < 40 || c > 200 {
			t.Errorf("node %s got %d of 1000 placements", n.ID, c)
		}
	}
}
