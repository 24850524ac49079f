package room

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// lastSnapshot keeps the latest snapshot of each call.
type lastSnapshot struct {
	mu    sync.Mutex
	data  map[CallID][]byte
	users map[CallID][]UserID
	saves int
}

func (p *lastSnapshot) Persist(call CallID, data []byte, users []UserID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.data[call] = append([]byte(nil), data...)
	p.users[call] = users
	p.saves++
}

func (p *lastSnapshot) get(call CallID) ([]byte, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data[call], p.saves
}

// answeredCall has alice ring req's invitees on mgr and bob accept; it
// returns the call id.
func answeredCall(t *testing.T, mgr *Manager, req InviteRequest) CallID {
	t.Helper()
	res, err := call(t, func(r Reply) { mgr.Invite(caller("alice"), req, r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(InviteResult).CallID
	if _, err := call(t, func(r Reply) { mgr.Accept(caller("bob"), id, "", r) }); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSnapshotTakeover runs a call on one Manager, then restores its last
// snapshot on a second Manager (sharing the user index, as cluster nodes
// share Redis): same call id, members, invitees, config, initiator, names
// and ring timer, and the call goes on there.
func TestSnapshotTakeover(t *testing.T) {
	idx := newMemoryIndex()
	clk := newFakeClock()
	per := &lastSnapshot{data: map[CallID][]byte{}, users: map[CallID][]UserID{}}
	na := &fakeNotifier{offline: map[UserID]bool{}}
	a, err := NewManager(ManagerConfig{Notifier: na, Clock: clk, Index: idx, Persister: per})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	a.SetTokenName("alice", "Alice A.")
	req := inviteReq(30*time.Second, "bob", "carol")
	req.Config = &ConfigOverride{EndCallWhenInitiatorLeave: ptr(true)}
	id := answeredCall(t, a, req)
	data, saves := per.get(id)
	if data == nil {
		t.Fatal("nothing persisted")
	}
	// A command that changes nothing persists nothing new.
	_, _ = call(t, func(r Reply) { a.Accept(caller("bob"), id, "", r) })
	if _, again := per.get(id); again != saves {
		t.Fatalf("an unchanged call was persisted again (%d → %d saves)", saves, again)
	}
	var snap Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.CallID != id || snap.Initiator != "alice" || len(snap.Members) != 2 || len(snap.Invitees) != 2 ||
		len(snap.Invitations) != 1 || !snap.Config.EndCallWhenInitiatorLeave || snap.Names["alice"] != "Alice A." {
		t.Fatalf("snapshot: %+v", snap)
	}

	// Node A "dies"; B restores the call 10 s into the ring.
	clk.Advance(10 * time.Second)
	nb := &fakeNotifier{offline: map[UserID]bool{}}
	b, err := NewManager(ManagerConfig{Notifier: nb, Clock: clk, Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := b.Restore(data); err != nil {
		t.Fatal(err)
	}
	if !b.Owns(id) {
		t.Fatal("restored call not owned")
	}
	pending, _ := b.Attach(caller("carol"))
	if len(pending) != 1 || pending[0].CallID != id || pending[0].Timeout != 20*time.Second ||
		pending[0].Caller.Name != "Alice A." {
		t.Fatalf("carol's pending invitation on B: %+v", pending)
	}
	_, state := b.Attach(caller("bob"))
	if state == nil || len(state.Members) != 2 || state.Initiator.ID != "alice" {
		t.Fatalf("bob's call state on B: %+v", state)
	}
	// The ring timer was re-armed with its 20 s left.
	clk.Advance(20 * time.Second)
	eventually(t, "carol's timeout on B", func() bool {
		for _, e := range nb.events("carol") {
			if _, ok := e.(IncomingCallTimeout); ok {
				return true
			}
		}
		return false
	})
	// endCallWhenInitiatorLeave survived the move.
	if _, err := call(t, func(r Reply) { b.Leave(caller("alice"), id, r) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the call to end on B", func() bool { return b.Calls() == 0 })
}

func ptr[T any](v T) *T { return &v }
