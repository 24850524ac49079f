package room

import (
	"sync"
	"testing"
	"time"
)

// batchingIndex is an in-memory UserIndex that is also the Ownership and
// implements CallEnder and OwnClaimer, as the cluster's Node does, and
// counts the requests it gets.
type batchingIndex struct {
	*memoryIndex
	mu       sync.Mutex
	releases [][]UserID
	ends     [][]UserID
	claims   int
}

func (x *batchingIndex) Own(CallID) error  { return nil }
func (x *batchingIndex) Valid(CallID) bool { return true }
func (x *batchingIndex) Disown(CallID)     { panic("Disown: EndCall should be used") }

func (x *batchingIndex) Release(call CallID, users ...UserID) {
	x.mu.Lock()
	x.releases = append(x.releases, append([]UserID(nil), users...))
	x.mu.Unlock()
	x.memoryIndex.Release(call, users...)
}

func (x *batchingIndex) EndCall(call CallID, users []UserID) {
	x.mu.Lock()
	x.ends = append(x.ends, append([]UserID(nil), users...))
	x.mu.Unlock()
	x.memoryIndex.Release(call, users...)
}

func (x *batchingIndex) OwnAndClaim(call CallID, u UserID, dev DeviceID) (CallID, error) {
	x.mu.Lock()
	x.claims++
	x.mu.Unlock()
	return x.memoryIndex.ClaimMember(u, call, dev)
}

// slotCheckingNotifier records, for each UserLeft, whether the user who
// left still held a slot in the call when the event went out.
type slotCheckingNotifier struct {
	fakeNotifier
	idx       UserIndex
	mu        sync.Mutex
	stillBusy []UserID
	userLefts int
}

func (n *slotCheckingNotifier) Notify(to Recipient, ev Event) int {
	if ul, ok := ev.(UserLeft); ok {
		n.mu.Lock()
		n.userLefts++
		if s, busy := n.idx.Slot(ul.User.ID); busy && s.Call == ul.CallID {
			n.stillBusy = append(n.stillBusy, ul.User.ID)
		}
		n.mu.Unlock()
	}
	return n.fakeNotifier.Notify(to, ev)
}

// TestReleasesBatchedPerCommand checks that a member's slot is freed once
// per command, before the events that tell others it left, and that the
// call's end frees the rest and gives the call up in one EndCall.
func TestReleasesBatchedPerCommand(t *testing.T) {
	idx := &batchingIndex{memoryIndex: newMemoryIndex()}
	n := &slotCheckingNotifier{fakeNotifier: fakeNotifier{offline: map[UserID]bool{}}, idx: idx}
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: newFakeClock(), Index: idx, Ownership: idx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	res, err := call(t, func(r Reply) { m.Invite(caller("alice"), inviteReq(time.Minute, "bob", "carol"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(InviteResult).CallID
	if idx.claims != 1 {
		t.Fatalf("the creator was claimed %d times through OwnAndClaim, want 1", idx.claims)
	}
	if _, err := call(t, func(r Reply) { m.Accept(caller("bob"), id, "", r) }); err != nil {
		t.Fatal(err)
	}
	// Bob, an invitee who accepted, leaves: released once, before UserLeft.
	if _, err := call(t, func(r Reply) { m.Leave(caller("bob"), id, r) }); err != nil {
		t.Fatal(err)
	}
	idx.mu.Lock()
	releases := append([][]UserID(nil), idx.releases...)
	idx.mu.Unlock()
	if len(releases) != 1 || len(releases[0]) != 1 || releases[0][0] != "bob" {
		t.Fatalf("releases after bob left = %v, want one of [bob]", releases)
	}
	n.mu.Lock()
	lefts, stillBusy := n.userLefts, n.stillBusy
	n.mu.Unlock()
	if lefts == 0 || len(stillBusy) != 0 {
		t.Fatalf("userLeft events %d; sent while still busy: %v", lefts, stillBusy)
	}
	// Alice leaves: the call ends. Alice's slot and carol's ring are freed
	// in one request before carol hears that the call was cancelled, and
	// the call is given up in one EndCall.
	if _, err := call(t, func(r Reply) { m.Leave(caller("alice"), id, r) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the call's end", func() bool {
		idx.mu.Lock()
		defer idx.mu.Unlock()
		return len(idx.ends) == 1
	})
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if len(idx.releases) != 2 || len(idx.releases[1]) != 2 {
		t.Fatalf("releases = %v, want [bob] then [alice carol]", idx.releases)
	}
	for _, u := range []UserID{"alice", "carol"} {
		if _, busy := idx.memoryIndex.Slot(u); busy {
			t.Errorf("%s still busy after the call ended", u)
		}
	}
}

// TestLastMemberFreeWhenAnswered checks that the member whose leave ends
// the call is free by the time its leave is answered (it may be invited
// again at once).
func TestLastMemberFreeWhenAnswered(t *testing.T) {
	idx := &batchingIndex{memoryIndex: newMemoryIndex()}
	m, err := NewManager(ManagerConfig{Notifier: &fakeNotifier{offline: map[UserID]bool{}}, Clock: newFakeClock(), Index: idx, Ownership: idx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	for i := 0; i < 20; i++ {
		res, err := call(t, func(r Reply) { m.Invite(caller("alice"), inviteReq(time.Minute, "bob"), r) })
		if err != nil {
			t.Fatal(err)
		}
		id := res.(InviteResult).CallID
		if _, err := call(t, func(r Reply) { m.Accept(caller("bob"), id, "", r) }); err != nil {
			t.Fatal(err)
		}
		if _, err := call(t, func(r Reply) { m.Leave(caller("alice"), id, r) }); err != nil {
			t.Fatal(err)
		}
		// The reply is called on the room's loop: the slot is read there,
		// at the moment bob hears his leave went through.
		var slot Slot
		var busy bool
		if _, err := call(t, func(r Reply) {
			m.Leave(caller("bob"), id, func(res any, err error) {
				slot, busy = idx.Slot("bob")
				r(res, err)
			})
		}); err != nil {
			t.Fatal(err)
		}
		if busy {
			t.Fatalf("cycle %d: bob is still in %+v when his leave is answered", i, slot)
		}
	}
}
