package cluster

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// TestDeadlineFiresOnceAcrossSweepers lets 3 nodes sweep 30 deadlines of
// a call whose owner died, concurrently: each is claimed (as an orphan) by
// exactly one sweeper, not early, and not later than the sweep period
// after it is due.
func TestDeadlineFiresOnceAcrossSweepers(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	owner := newStore(t, p, "O", Config{})
	l, err := owner.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	dues := map[string]time.Time{}
	for i := 0; i < n; i++ {
		what := "inv" + string(rune('A'+i))
		due, err := owner.AddDeadline(ctx, l, what, time.Duration(50+10*i)*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		dues[what] = due
	}
	if err := owner.ReleaseLease(ctx, l); err != nil { // the owner "dies"
		t.Fatal(err)
	}
	var mu sync.Mutex
	fired := map[string]int{}
	late := time.Duration(0)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, node := range []string{"A", "B", "C"} {
		s := newStore(t, p, node, Config{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				ds, err := s.ClaimDue(ctx, 100, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				now := time.Now()
				mu.Lock()
				for _, d := range ds {
					fired[d.What]++
					if d.Call != "c1" || !d.Due.Equal(dues[d.What]) || !d.Orphan {
						t.Errorf("claimed %+v, want due %v", d, dues[d.What])
					}
					if now.Before(d.Due.Add(-5 * time.Millisecond)) {
						t.Errorf("%s fired %v early", d.What, d.Due.Sub(now))
					}
					if lt := now.Sub(d.Due); lt > late {
						late = lt
					}
				}
				mu.Unlock()
			}
		}()
	}
	waitFor(t, 5*time.Second, "every deadline to fire", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(fired) == n
	})
	// Give the sweepers time to (wrongly) fire anything twice.
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	for w, c := range fired {
		if c != 1 {
			t.Errorf("%s fired %d times", w, c)
		}
	}
	if late > 250*time.Millisecond {
		t.Errorf("latest firing %v after due", late)
	}
	t.Logf("30 deadlines, 3 sweepers every 20 ms: each fired once, worst lateness %v", late)
}

// TestDeadlineRedeliveredUntilDone checks that a claimed but unacknowledged
// deadline is claimed again after the redelivery window (its claimer
// died), and that DoneDeadline stops it.
func TestDeadlineRedeliveredUntilDone(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	s := newStore(t, p, "A", Config{})
	l, err := s.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDeadline(ctx, l, "inv1", 0); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimDue(ctx, 10, 150*time.Millisecond)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim = %v %v", first, err)
	}
	if again, _ := s.ClaimDue(ctx, 10, 150*time.Millisecond); len(again) != 0 {
		t.Fatalf("claimed twice within the window: %v", again)
	}
	var second []Deadline
	waitFor(t, 2*time.Second, "redelivery", func() bool {
		second, err = s.ClaimDue(ctx, 10, time.Minute)
		return err == nil && len(second) == 1
	})
	if err := s.DoneDeadline(ctx, l, "inv1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.rdb.ZCard(ctx, s.deadlinesKey()).Result(); n != 0 {
		t.Fatalf("%d deadlines left after done", n)
	}
}

// TestDeadlineOnlyOwnerOrOrphan: a live owner's deadlines are claimed by
// the owner alone.
func TestDeadlineOnlyOwnerOrOrphan(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := newStore(t, p, "A", Config{})
	b := newStore(t, p, "B", Config{})
	l, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddDeadline(ctx, l, "inv1", 0); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("B claimed A's deadline: %v %v", got, err)
	}
	got, err := a.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].Orphan || got[0].What != "inv1" {
		t.Fatalf("A's claim = %+v %v", got, err)
	}
}

func TestDeadlineFenced(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	s := newStore(t, p, "A", Config{})
	old, _ := s.Acquire(ctx, "c1")
	cur, err := s.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDeadline(ctx, old, "x", time.Second); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale add: %v", err)
	}
	if _, err := s.AddDeadline(ctx, cur, "x", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.DoneDeadline(ctx, old, "x"); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale done: %v", err)
	}
	if n, _ := s.rdb.ZCard(ctx, s.deadlinesKey()).Result(); n != 1 {
		t.Fatalf("stale writer changed deadlines: %d", n)
	}
}

// TestSnapshotFencedAndEndCall checks that only the current lease writes
// the snapshot, and EndCall clears what the call held.
func TestSnapshotFencedAndEndCall(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	a := newStore(t, p, "A", Config{LeaseTTL: 150 * time.Millisecond})
	b := newStore(t, p, "B", Config{})
	la, err := a.Acquire(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, la, "alice", "d"); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveSnapshot(ctx, la, []byte("v1"), []room.UserID{"alice"}); err != nil {
		t.Fatal(err)
	}
	var lb Lease
	waitFor(t, 2*time.Second, "B takes c1 over", func() bool {
		lb, err = b.Acquire(ctx, "c1")
		return err == nil
	})
	data, ok, err := b.LoadSnapshot(ctx, "c1")
	if err != nil || !ok || string(data) != "v1" {
		t.Fatalf("loaded %q %v %v", data, ok, err)
	}
	// A was paused past its lease: its write must not land.
	if err := a.SaveSnapshot(ctx, la, []byte("stale"), nil); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale save: %v", err)
	}
	if err := a.EndCall(ctx, la, nil, []room.UserID{"alice"}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale end: %v", err)
	}
	if data, _, _ := b.LoadSnapshot(ctx, "c1"); string(data) != "v1" {
		t.Fatalf("snapshot = %q after stale writes", data)
	}
	if sl, ok, _ := b.SlotOf(ctx, "alice"); !ok || sl.Call != "c1" {
		t.Fatal("alice lost her slot to a stale end")
	}
	if _, err := b.AddDeadline(ctx, lb, "inv1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := b.EndCall(ctx, lb, []string{"inv1"}, []room.UserID{"alice"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.LoadSnapshot(ctx, "c1"); ok {
		t.Fatal("snapshot left after end")
	}
	if _, ok, _ := b.Owner(ctx, "c1"); ok {
		t.Fatal("lease left after end")
	}
	if _, ok, _ := b.SlotOf(ctx, "alice"); ok {
		t.Fatal("alice busy after end")
	}
	if n, _ := b.rdb.ZCard(ctx, b.deadlinesKey()).Result(); n != 0 {
		t.Fatal("deadline left after end")
	}
	if n, _ := b.rdb.SCard(ctx, b.ownedKey("B")).Result(); n != 0 {
		t.Fatal("call still in B's owned set after end")
	}
}
