package cluster

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

func TestLeaseAcquireRenewRelease(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{LeaseTTL: 300 * time.Millisecond})
	b := newStore(t, p, "B", Config{LeaseTTL: 300 * time.Millisecond})
	ctx := ctxT(t)

	la, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if la.Node != "A" || la.Token != 1 {
		t.Fatalf("lease = %+v, want A/1", la)
	}
	if _, err := b.Acquire(ctx, "c1"); !errors.Is(err, ErrHeld) {
		t.Fatalf("B acquired a held lease: %v", err)
	}
	owner, ok, err := b.Owner(ctx, "c1")
	if err != nil || !ok || owner != la {
		t.Fatalf("Owner = %+v %v %v, want %+v", owner, ok, err, la)
	}
	// Renewing keeps it past its TTL.
	for i := 0; i < 4; i++ {
		time.Sleep(100 * time.Millisecond) // lets TTL time pass; not synchronisation
		if err := a.Renew(ctx, la); err != nil {
			t.Fatalf("renew %d: %v", i, err)
		}
	}
	if _, ok, _ := b.Owner(ctx, "c1"); !ok {
		t.Fatal("renewed lease expired")
	}
	if err := a.ReleaseLease(ctx, la); err != nil {
		t.Fatal(err)
	}
	lb, err := b.Acquire(ctx, "c1")
	if err != nil {
		t.Fatalf("B after release: %v", err)
	}
	if lb.Token != 2 {
		t.Fatalf("token after release = %d, want 2 (tokens never repeat)", lb.Token)
	}
	if err := a.Renew(ctx, la); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale renew: %v, want ErrFenced", err)
	}
	// A stale release must not delete B's lease.
	if err := a.ReleaseLease(ctx, la); err != nil {
		t.Fatal(err)
	}
	if cur, ok, _ := a.Owner(ctx, "c1"); !ok || cur != lb {
		t.Fatalf("stale release changed the lease: %+v %v", cur, ok)
	}
}

func TestLeaseExpiresAndIsTakenOver(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{LeaseTTL: 150 * time.Millisecond})
	b := newStore(t, p, "B", Config{LeaseTTL: 150 * time.Millisecond})
	ctx := ctxT(t)
	la, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	var lb room.CallID
	waitFor(t, 2*time.Second, "B to take the expired lease", func() bool {
		l, err := b.Acquire(ctx, "c1")
		if err == nil {
			lb = l.Call
		}
		return err == nil
	})
	if lb != "c1" {
		t.Fatal("wrong call")
	}
	if err := a.Renew(ctx, la); !errors.Is(err, ErrFenced) {
		t.Fatalf("A renewed after takeover: %v", err)
	}
	lost, err := a.RenewAll(ctx, []Lease{la})
	if err != nil || len(lost) != 1 || lost[0] != "c1" {
		t.Fatalf("RenewAll = %v %v, want [c1] lost", lost, err)
	}
}

func TestLeaseRenewAll(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{LeaseTTL: time.Second})
	ctx := ctxT(t)
	var ls []Lease
	for _, c := range []room.CallID{"x", "y", "z"} {
		l, err := a.Acquire(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	// Re-acquiring y fences the older y lease.
	if _, err := a.Acquire(ctx, "y"); err != nil {
		t.Fatal(err)
	}
	lost, err := a.RenewAll(ctx, ls)
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) != 1 || lost[0] != "y" {
		t.Fatalf("lost = %v, want [y]", lost)
	}
}

// TestLeaseOneWinner races many nodes for one call: exactly one wins.
func TestLeaseOneWinner(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	const n = 8
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = newStore(t, p, string(rune('A'+i)), Config{})
	}
	var wg sync.WaitGroup
	wins := make(chan Lease, n)
	for _, s := range stores {
		wg.Add(1)
		go func(s *Store) {
			defer wg.Done()
			if l, err := s.Acquire(ctx, "race"); err == nil {
				wins <- l
			} else if !errors.Is(err, ErrHeld) {
				t.Error(err)
			}
		}(s)
	}
	wg.Wait()
	close(wins)
	if len(wins) != 1 {
		t.Fatalf("%d winners, want 1", len(wins))
	}
}

// TestLeaseReclaim: an expired lease nobody took is reclaimed with a new
// token; one another node acquired meanwhile is fenced.
func TestLeaseReclaim(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := newStore(t, p, "A", Config{LeaseTTL: 100 * time.Millisecond})
	b := newStore(t, p, "B", Config{LeaseTTL: 100 * time.Millisecond})
	l1, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Reclaim(ctx, l1); err != nil || got != l1 {
		t.Fatalf("reclaim of a live lease = %+v %v", got, err)
	}
	waitFor(t, 2*time.Second, "lease to expire", func() bool {
		_, ok, _ := a.Owner(ctx, "c1")
		return !ok
	})
	l2, err := a.Reclaim(ctx, l1)
	if err != nil || l2.Token != l1.Token+1 || l2.Node != "A" {
		t.Fatalf("reclaim after expiry = %+v %v", l2, err)
	}
	// B takes the call while A is "paused"; A's reclaim is fenced.
	waitFor(t, 2*time.Second, "B to acquire", func() bool {
		_, err := b.Acquire(ctx, "c1")
		return err == nil
	})
	if _, err := a.Reclaim(ctx, l2); !errors.Is(err, ErrFenced) {
		t.Fatalf("reclaim after takeover: %v", err)
	}
	// Even after B's lease lapsed too, A's old token stays fenced.
	waitFor(t, 2*time.Second, "B's lease to expire", func() bool {
		_, ok, _ := a.Owner(ctx, "c1")
		return !ok
	})
	if _, err := a.Reclaim(ctx, l2); !errors.Is(err, ErrFenced) {
		t.Fatalf("reclaim with a superseded token: %v", err)
	}
}
