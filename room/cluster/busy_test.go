package cluster

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

func TestBusyReserveClaimRelease(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{})
	b := newStore(t, p, "B", Config{})
	ctx := ctxT(t)
	l1, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := b.Acquire(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, l1, "alice", "d1"); err != nil {
		t.Fatal(err)
	}
	// Node B's call rings bob and carol, and alice, who is in c1.
	busy, err := b.Reserve(ctx, l2, []room.UserID{"bob", "alice", "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if len(busy) != 1 || busy["alice"] != "c1" {
		t.Fatalf("busy = %v, want alice in c1", busy)
	}
	if sl, ok, _ := a.SlotOf(ctx, "bob"); !ok || sl.Call != "c2" || sl.Member {
		t.Fatalf("bob's slot = %+v %v, want ringing in c2", sl, ok)
	}
	// c1 rings bob too: busy (ringing in c2).
	if busy, _ := a.Reserve(ctx, l1, []room.UserID{"bob"}); busy["bob"] != "c2" {
		t.Fatalf("bob ringing in c2 was reserved by c1: %v", busy)
	}
	// Bob joins c1 from another node: his ring in c2 is displaced.
	displaced, err := a.Claim(ctx, l1, "bob", "phone")
	if err != nil || displaced != "c2" {
		t.Fatalf("claim = %q %v, want displaced c2", displaced, err)
	}
	if _, err := a.Claim(ctx, l1, "bob", "phone"); err != nil {
		t.Fatalf("idempotent claim: %v", err)
	}
	if _, err := a.Claim(ctx, l1, "bob", "laptop"); !errors.Is(err, room.ErrConflict) {
		t.Fatalf("second device: %v, want ErrConflict", err)
	}
	if _, err := b.Claim(ctx, l2, "bob", "laptop"); !errors.Is(err, room.ErrBusy) {
		t.Fatalf("member elsewhere: %v, want ErrBusy", err)
	}
	// c2's release of bob must not free him from c1 (compare-and-delete).
	if err := b.ReleaseSlots(ctx, l2, "bob", "carol"); err != nil {
		t.Fatal(err)
	}
	if sl, ok, _ := a.SlotOf(ctx, "bob"); !ok || sl.Call != "c1" || !sl.Member || sl.Device != "phone" {
		t.Fatalf("bob's slot = %+v %v, want member of c1 on phone", sl, ok)
	}
	if _, ok, _ := a.SlotOf(ctx, "carol"); ok {
		t.Fatal("carol still busy after release")
	}
}

// TestBusyFenced checks that a stale lease can neither reserve, claim nor
// release.
func TestBusyFenced(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{})
	ctx := ctxT(t)
	old, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, cur, "alice", "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reserve(ctx, old, []room.UserID{"bob"}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale reserve: %v", err)
	}
	if _, err := a.Claim(ctx, old, "bob", "d"); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale claim: %v", err)
	}
	if err := a.ReleaseSlots(ctx, old, "alice"); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale release: %v", err)
	}
	if _, ok, _ := a.SlotOf(ctx, "alice"); !ok {
		t.Fatal("a stale release freed alice")
	}
	if _, ok, _ := a.SlotOf(ctx, "bob"); ok {
		t.Fatal("a stale reserve made bob busy")
	}
}

// TestBusyExpiresWithLease checks that when a call's owner dies, its users
// are free again within one lease TTL.
func TestBusyExpiresWithLease(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{LeaseTTL: 200 * time.Millisecond})
	b := newStore(t, p, "B", Config{})
	ctx := ctxT(t)
	l, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reserve(ctx, l, []room.UserID{"bob"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l2, err := b.Acquire(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "bob to be free after A's lease lapsed", func() bool {
		busy, err := b.Reserve(ctx, l2, []room.UserID{"bob"})
		return err == nil && len(busy) == 0
	})
	if el := time.Since(start); el > 200*time.Millisecond+300*time.Millisecond {
		t.Fatalf("bob stayed busy %v, past one lease TTL", el)
	}
}

// TestBusyAtomicAcrossNodes races 3 nodes, each ringing the same 20 users
// for its own call: every user ends up ringing in exactly one call, and
// each node's answer agrees with the final index.
func TestBusyAtomicAcrossNodes(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	var users []room.UserID
	for i := 0; i < 20; i++ {
		users = append(users, room.UserID(rune('a'+i)))
	}
	type result struct {
		call room.CallID
		busy map[room.UserID]room.CallID
	}
	results := make(chan result, 3)
	var wg sync.WaitGroup
	for i, n := range []string{"A", "B", "C"} {
		s := newStore(t, p, n, Config{})
		call := room.CallID("call" + n)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := s.Acquire(ctx, call)
			if err != nil {
				t.Error(err)
				return
			}
			// Each node asks in a different order.
			order := append([]room.UserID(nil), users...)
			for j := range order {
				k := (j + i*7) % len(order)
				order[j], order[k] = order[k], order[j]
			}
			busy, err := s.Reserve(ctx, l, order)
			if err != nil {
				t.Error(err)
				return
			}
			results <- result{call, busy}
		}(i)
	}
	wg.Wait()
	close(results)
	won := map[room.UserID]room.CallID{}
	reader := newStore(t, p, "R", Config{})
	for r := range results {
		for _, u := range users {
			if _, isBusy := r.busy[u]; isBusy {
				continue
			}
			if prev, dup := won[u]; dup {
				t.Fatalf("%s reserved by both %s and %s", u, prev, r.call)
			}
			won[u] = r.call
		}
	}
	for _, u := range users {
		sl, ok, err := reader.SlotOf(ctx, u)
		if err != nil || !ok || sl.Call != won[u] {
			t.Fatalf("%s: index says %+v %v %v, reservations say %s", u, sl, ok, err, won[u])
		}
	}
}
