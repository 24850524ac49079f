package cluster

import (
	"errors"
	"testing"

	"github.com/ringsfu/ringsfu/room"
)

// TestAcquireClaim checks the creator's one-step lease and claim: it
// behaves as Acquire then Claim, and writes nothing when either fails.
func TestAcquireClaim(t *testing.T) {
	p := testPrefix(t)
	a := newStore(t, p, "A", Config{})
	b := newStore(t, p, "B", Config{})
	ctx := ctxT(t)

	l1, displaced, err := a.AcquireClaim(ctx, "c1", "alice", "d1")
	if err != nil || displaced != "" {
		t.Fatalf("acquire and claim c1 = %v %q, want ok", err, displaced)
	}
	if own, ok, _ := b.Owner(ctx, "c1"); !ok || own != l1 {
		t.Fatalf("owner of c1 = %+v %v, want %+v", own, ok, l1)
	}
	if sl, ok, _ := b.SlotOf(ctx, "alice"); !ok || sl.Call != "c1" || !sl.Member || sl.Device != "d1" {
		t.Fatalf("alice's slot = %+v %v, want member of c1 on d1", sl, ok)
	}
	// The lease is fenced as Acquire's: a write under it works.
	if err := a.SaveSnapshot(ctx, l1, []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}

	// Alice, member of c1, cannot create c2: busy, and c2 stays unowned.
	if _, _, err := b.AcquireClaim(ctx, "c2", "alice", "d2"); !errors.Is(err, room.ErrBusy) {
		t.Fatalf("member elsewhere: %v, want ErrBusy", err)
	}
	if _, ok, _ := b.Owner(ctx, "c2"); ok {
		t.Fatal("a failed claim left c2 owned")
	}
	// Another node cannot take c1, and alice's slot is untouched.
	if _, _, err := b.AcquireClaim(ctx, "c1", "bob", "b1"); !errors.Is(err, ErrHeld) {
		t.Fatalf("held call: %v, want ErrHeld", err)
	}
	if _, ok, _ := b.SlotOf(ctx, "bob"); ok {
		t.Fatal("a refused acquire claimed bob")
	}

	// Bob rings in c1; creating c3 displaces that ring.
	if busy, err := a.Reserve(ctx, l1, []room.UserID{"bob"}); err != nil || len(busy) != 0 {
		t.Fatalf("reserve bob = %v %v", busy, err)
	}
	l3, displaced, err := b.AcquireClaim(ctx, "c3", "bob", "b1")
	if err != nil || displaced != "c1" {
		t.Fatalf("acquire and claim c3 = %v %q, want displaced c1", err, displaced)
	}
	// A slot naming the call being created counts as live, as after
	// Acquire: another device of bob's is a conflict, the same one is not.
	if err := b.ReleaseLease(ctx, l3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.AcquireClaim(ctx, "c3", "bob", "b2"); !errors.Is(err, room.ErrConflict) {
		t.Fatalf("second device: %v, want ErrConflict", err)
	}
	if _, _, err := b.AcquireClaim(ctx, "c3", "bob", "b1"); err != nil {
		t.Fatalf("same device: %v", err)
	}
}
