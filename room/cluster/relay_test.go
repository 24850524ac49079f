package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
)

// node is a Store with a running Relay for tests.
type node struct {
	s     *Store
	relay *Relay
	mu    sync.Mutex
	got   []Message
}

// startNode runs a relay for s whose handler records one-way messages and
// answers "echo" (body back) and "fail" (ErrBusy) requests.
func startNode(t *testing.T, s *Store, timeout time.Duration) *node {
	t.Helper()
	n := &node{s: s}
	ctx, cancel := context.WithCancel(context.Background())
	n.relay = NewRelay(s, timeout, func(m Message) {
		switch m.Kind {
		case "echo":
			go func() { _ = n.relay.Reply(ctx, m, m.Body, nil) }()
		case "fail":
			go func() { _ = n.relay.Reply(ctx, m, nil, fmt.Errorf("%w: in call c9", room.ErrBusy)) }()
		default:
			n.mu.Lock()
			n.got = append(n.got, m)
			n.mu.Unlock()
		}
	})
	if err := n.relay.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); n.relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

func (n *node) received() []Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Message(nil), n.got...)
}

func TestRelayRequestReplyAndOrder(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := startNode(t, newStore(t, p, "A", Config{}), time.Second)
	b := startNode(t, newStore(t, p, "B", Config{}), time.Second)
	body, err := a.relay.Request(ctx, "B", "echo", []byte("hello"))
	if err != nil || string(body) != "hello" {
		t.Fatalf("echo = %q %v", body, err)
	}
	if _, err := a.relay.Request(ctx, "B", "fail", nil); !errors.Is(err, room.ErrBusy) {
		t.Fatalf("remote error = %v, want ErrBusy", err)
	}
	// One-way events arrive in order.
	const n = 200
	for i := 0; i < n; i++ {
		if err := a.s.Send(ctx, "B", Message{Kind: "ev", Body: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "200 events at B", func() bool { return len(b.received()) == n })
	for i, m := range b.received() {
		if string(m.Body) != fmt.Sprint(i) || m.From != "A" {
			t.Fatalf("event %d = %q from %s", i, m.Body, m.From)
		}
	}
}

// TestRelayRequestToDeadNodeTimesOut: a request to a node that does not
// read its inbox fails with ErrUnavailable after the timeout, not a hang.
func TestRelayRequestToDeadNodeTimesOut(t *testing.T) {
	p := testPrefix(t)
	a := startNode(t, newStore(t, p, "A", Config{}), 300*time.Millisecond)
	start := time.Now()
	_, err := a.relay.Request(ctxT(t), "nobody", "echo", nil)
	if !errors.Is(err, room.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 2*time.Second {
		t.Fatalf("failed after %v, want about 300ms", el)
	}
}

// TestRelayRedisOutage stops redis-server under a running relay: requests
// fail fast with ErrUnavailable, and after a restart the relay works again
// without restarting the node.
func TestRelayRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	p := testPrefix(t)
	ctx := ctxT(t)
	a := startNode(t, openOn(t, srv, p, "A", Config{OpTimeout: 300 * time.Millisecond}), time.Second)
	b := startNode(t, openOn(t, srv, p, "B", Config{OpTimeout: 300 * time.Millisecond}), time.Second)
	if _, err := a.relay.Request(ctx, "B", "echo", []byte("x")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	if _, err := a.relay.Request(ctx, "B", "echo", []byte("x")); !errors.Is(err, room.ErrUnavailable) {
		t.Fatalf("during outage: %v, want ErrUnavailable", err)
	}
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Fatalf("outage error took %v", el)
	}
	if _, err := a.s.Acquire(ctx, "c1"); !errors.Is(err, room.ErrUnavailable) {
		t.Fatalf("acquire during outage: %v", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "relay to work again", func() bool {
		body, err := a.relay.Request(ctx, "B", "echo", []byte("back"))
		return err == nil && string(body) == "back"
	})
	// A send may still time out (300 ms) on a starved machine: retried.
	waitFor(t, 10*time.Second, "a send after the restart", func() bool {
		return a.s.Send(ctx, "B", Message{Kind: "ev", Body: []byte("after")}) == nil
	})
	waitFor(t, 5*time.Second, "event after restart", func() bool {
		got := b.received()
		return len(got) > 0 && string(got[len(got)-1].Body) == "after"
	})
}

func TestErrorCodesRoundTrip(t *testing.T) {
	for _, c := range errorCodes {
		err := errorFromCode(ErrorCode(fmt.Errorf("x: %w", c.err)), "msg")
		if !errors.Is(err, c.err) {
			t.Errorf("%s did not round-trip: %v", c.code, err)
		}
	}
	if ErrorCode(errors.New("boom")) != "internal" {
		t.Error("unknown error not internal")
	}
}
