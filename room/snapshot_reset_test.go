package room

import (
	"testing"
	"time"
)

// ownerChangedResets counts the mediaReset (ownerChanged) events user u got.
func ownerChangedResets(n *fakeNotifier, u UserID) int {
	k := 0
	for _, e := range n.events(u) {
		if r, ok := e.(MediaReset); ok && r.Reason == ResetOwnerChanged {
			k++
		}
	}
	return k
}

// TestTakeoverTellsMembersMediaReset: a call restored on another node tells
// every member's device to rebuild its media (its PeerConnections went to
// the old node), tells it again when the device attaches (it may have been
// reconnecting when the call moved), and stops once the device has reset
// its media on the new node.
func TestTakeoverTellsMembersMediaReset(t *testing.T) {
	idx := newMemoryIndex()
	clk := newFakeClock()
	per := &lastSnapshot{data: map[CallID][]byte{}, users: map[CallID][]UserID{}}
	a, err := NewManager(ManagerConfig{Notifier: &fakeNotifier{offline: map[UserID]bool{}}, Clock: clk, Index: idx, Persister: per})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	id := answeredCall(t, a, inviteReq(30*time.Second, "bob"))
	data, _ := per.get(id)
	if data == nil {
		t.Fatal("nothing persisted")
	}

	nb := &fakeNotifier{offline: map[UserID]bool{}}
	b, err := NewManager(ManagerConfig{Notifier: nb, Clock: clk, Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := b.Restore(data); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mediaReset (ownerChanged) to both members", func() bool {
		return ownerChangedResets(nb, "alice") == 1 && ownerChangedResets(nb, "bob") == 1
	})

	// Bob resumes on some node: told again, since he has not reset yet.
	if _, st := b.Attach(caller("bob")); st == nil {
		t.Fatal("bob is not a member after the takeover")
	}
	if n := ownerChangedResets(nb, "bob"); n != 2 {
		t.Fatalf("bob got %d ownerChanged resets after attaching, want 2", n)
	}
	// Bob resets his media here; attaching later tells him nothing more.
	if _, err := call(t, func(r Reply) { b.MediaReset(caller("bob"), id, r) }); err != nil {
		t.Fatal(err)
	}
	b.Attach(caller("bob"))
	if n := ownerChangedResets(nb, "bob"); n != 2 {
		t.Fatalf("bob got %d ownerChanged resets after resetting, want still 2", n)
	}
	// Alice has not reset: attaching still tells her.
	b.Attach(caller("alice"))
	if n := ownerChangedResets(nb, "alice"); n != 2 {
		t.Fatalf("alice got %d ownerChanged resets, want 2", n)
	}
}
