package cluster

import (
	"testing"
	"time"
)

// TestSendToDevicesRelaysToTheDevicesNodes checks the one-round-trip
// relay of an event: it reaches, through their relays, exactly the other
// live nodes holding the addressed devices (one message per node, with
// the device count), honours the device filter and the excepted device,
// skips this node, and drops a dead node's entry as DevicesOf does.
func TestSendToDevicesRelaysToTheDevicesNodes(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	cfg := Config{NodeTTL: 2 * time.Second}
	a, b, c, d := newStore(t, p, "A", cfg), newStore(t, p, "B", cfg), newStore(t, p, "C", cfg), newStore(t, p, "D", cfg)
	for _, s := range []*Store{a, b, c} {
		if err := s.Heartbeat(ctx, Load{}); err != nil {
			t.Fatal(err)
		}
	}
	nb, nc := startNode(t, b, time.Second), startNode(t, c, time.Second)
	for _, pr := range []struct {
		s      *Store
		device string
	}{{a, "tab"}, {b, "phone"}, {b, "laptop"}, {c, "watch"}, {d, "car"}} {
		if err := pr.s.SetPresence(ctx, "alice", pr.device, "s-"+pr.device); err != nil {
			t.Fatal(err)
		}
	}
	// Every device but the phone: B (laptop) and C (watch), not A (self)
	// nor D (no heartbeat).
	got, err := a.SendToDevices(ctx, "alice", "", "phone", "ev", []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["B"] != 1 || got["C"] != 1 {
		t.Fatalf("reached %v, want B:1 C:1", got)
	}
	// Only the phone: B.
	got, err = a.SendToDevices(ctx, "alice", "phone", "", "ev", []byte("two"))
	if err != nil || len(got) != 1 || got["B"] != 1 {
		t.Fatalf("reached %v (%v), want B:1", got, err)
	}
	// Every device from C: A (tab) and B (phone, laptop).
	got, err = c.SendToDevices(ctx, "alice", "", "", "ev", []byte("three"))
	if err != nil || len(got) != 2 || got["A"] != 1 || got["B"] != 2 {
		t.Fatalf("reached %v (%v), want A:1 B:2", got, err)
	}
	waitFor(t, 10*time.Second, "the relayed messages", func() bool { return len(nb.received()) >= 3 && len(nc.received()) >= 1 })
	if m := nb.received(); len(m) != 3 || string(m[0].Body) != "one" || string(m[1].Body) != "two" || string(m[2].Body) != "three" ||
		m[0].From != "A" || m[2].From != "C" || m[0].Kind != "ev" {
		t.Fatalf("B received %+v", m)
	}
	if m := nc.received(); len(m) != 1 || string(m[0].Body) != "one" {
		t.Fatalf("C received %+v", m)
	}
	// The dead node's entry is gone.
	ps, err := a.DevicesOf(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range ps {
		if pr.Node == "D" {
			t.Fatalf("D's device is still listed: %v", ps)
		}
	}
	if len(ps) != 4 {
		t.Fatalf("devices %v, want 4", ps)
	}
}
