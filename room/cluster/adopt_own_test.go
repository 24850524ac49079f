package cluster

import (
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// TestAdoptOfACallRunningHereKeepsItsLease: after a direct hand-over the
// call runs on its new node while the dead node's owned set still names
// it, so the new node's scan asks it to adopt its own call. That must
// leave the running call and its lease alone (and let the dead node be
// forgotten), not take a new token, fail the restore ("already runs
// here") and release the lease of a call that is still running.
func TestAdoptOfACallRunningHereKeepsItsLease(t *testing.T) {
	p := testPrefix(t)
	ctx := ctxT(t)
	b := startClusterNode(t, newStore(t, p, "B", Config{NodeTTL: 30 * time.Second}), NodeConfig{})
	res, err := do(t, func(r room.Reply) { b.mgr.Invite(who("alice"), invite(time.Minute, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(room.InviteResult).CallID
	before, ok, err := b.node.Store().Owner(ctx, id)
	if err != nil || !ok || before.Node != "B" {
		t.Fatalf("owner before: %+v %v %v", before, ok, err)
	}
	owned, err := b.node.Adopt(ctx, id)
	if err != nil || !owned {
		t.Fatalf("Adopt of a call running here = %v %v, want true nil", owned, err)
	}
	after, ok, err := b.node.Store().Owner(ctx, id)
	if err != nil || !ok || after != before {
		t.Fatalf("lease after Adopt: %+v %v %v, want %+v unchanged", after, ok, err, before)
	}
	if !b.mgr.Owns(id) {
		t.Fatal("the call stopped running here")
	}
}
