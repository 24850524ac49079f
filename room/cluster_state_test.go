package room

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// recordingDeadlines schedules on a Clock and records what it was asked.
type recordingDeadlines struct {
	clock Clock
	mu    sync.Mutex
	got   []string // "call/what"
}

func (d *recordingDeadlines) Schedule(call CallID, what string, after time.Duration, fire func()) Timer {
	d.mu.Lock()
	d.got = append(d.got, string(call)+"/"+what)
	d.mu.Unlock()
	return d.clock.AfterFunc(after, fire)
}

// refusingOwnership refuses calls in a set, as a cluster does for calls
// another node owns.
type refusingOwnership struct {
	mu       sync.Mutex
	refuse   map[CallID]bool
	disowned []CallID
}

func (o *refusingOwnership) Own(c CallID) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refuse[c] {
		return conflict("call %s is owned elsewhere", c)
	}
	return nil
}

func (o *refusingOwnership) Valid(CallID) bool { return true }

func (o *refusingOwnership) Disown(c CallID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.disowned = append(o.disowned, c)
}

// TestSharedIndexAcrossManagers runs two Managers (two "nodes") on one
// UserIndex: the busy rule holds across them, which is what the Redis
// index does for a cluster.
func TestSharedIndexAcrossManagers(t *testing.T) {
	idx := newMemoryIndex()
	clk := newFakeClock()
	mk := func() (*Manager, *fakeNotifier) {
		n := &fakeNotifier{offline: map[UserID]bool{}}
		m, err := NewManager(ManagerConfig{Notifier: n, Clock: clk, Index: idx})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		return m, n
	}
	a, _ := mk()
	b, nb := mk()
	res, err := call(t, func(r Reply) { a.Invite(caller("alice"), inviteReq(time.Minute, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := idx.Slot("bob"); !ok || s.Member || s.Call != res.(InviteResult).CallID {
		t.Fatalf("bob's slot = %+v %v", s, ok)
	}
	// On the other node, carol rings bob (ringing on node A) and alice (a
	// member on node A): both busy.
	res, err = call(t, func(r Reply) { b.Invite(caller("carol"), inviteReq(time.Minute, "bob", "alice"), r) })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.(InviteResult).Invitees {
		if o.State != StatusBusy {
			t.Errorf("%s: %s, want busy across managers", o.User.ID, o.State)
		}
	}
	eventually(t, "carol's call to end as noAnswer", func() bool { return b.Calls() == 0 })
	answers := 0
	for _, e := range nb.events("carol") {
		if oa, ok := e.(OutgoingAnswer); ok && oa.Answer == "busy" {
			answers++
		}
	}
	if answers != 2 {
		t.Fatalf("carol got %d busy answers, want 2", answers)
	}
	// Alice cannot start a call on the other node while a member on A.
	if _, err := call(t, func(r Reply) { b.Join(caller("alice"), "other", CallVoice, nil, r) }); !errors.Is(err, ErrBusy) {
		t.Fatalf("alice joined elsewhere: %v", err)
	}
}

// TestOwnershipAndDeadlinesAreConsulted checks that the Manager asks
// Ownership before creating a room, gives the call back when it ends, and
// schedules ring timeouts through Deadlines.
func TestOwnershipAndDeadlinesAreConsulted(t *testing.T) {
	clk := newFakeClock()
	own := &refusingOwnership{refuse: map[CallID]bool{"taken": true}}
	dl := &recordingDeadlines{clock: clk}
	n := &fakeNotifier{offline: map[UserID]bool{}}
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: clk, Ownership: own, Deadlines: dl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	req := inviteReq(30*time.Second, "bob")
	req.CallID = "taken"
	if _, err := call(t, func(r Reply) { m.Invite(caller("alice"), req, r) }); !errors.Is(err, ErrConflict) {
		t.Fatalf("created a call owned elsewhere: %v", err)
	}
	if _, ok := m.index.Slot("alice"); ok {
		t.Fatal("refused creation left alice busy")
	}
	res, err := call(t, func(r Reply) { m.Invite(caller("alice"), inviteReq(30*time.Second, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	ir := res.(InviteResult)
	dl.mu.Lock()
	got := append([]string(nil), dl.got...)
	dl.mu.Unlock()
	if len(got) != 1 || got[0] != string(ir.CallID)+"/"+string(ir.InvitationID) {
		t.Fatalf("deadlines scheduled %v", got)
	}
	clk.Advance(30 * time.Second)
	eventually(t, "noAnswer end", func() bool { return m.Calls() == 0 })
	own.mu.Lock()
	defer own.mu.Unlock()
	if len(own.disowned) != 1 || own.disowned[0] != ir.CallID {
		t.Fatalf("disowned %v, want [%s]", own.disowned, ir.CallID)
	}
}

// countingObserver counts CallEnded.
type countingObserver struct {
	nopObserver
	mu    sync.Mutex
	ended int
}

func (o *countingObserver) CallEnded(CallID, string, time.Duration, []User) {
	o.mu.Lock()
	o.ended++
	o.mu.Unlock()
}

// TestAbandonEndsSilently: a call whose lease was lost stops here without
// any event, webhook or release of shared state.
func TestAbandonEndsSilently(t *testing.T) {
	n := &fakeNotifier{offline: map[UserID]bool{}}
	clk := newFakeClock()
	own := &refusingOwnership{refuse: map[CallID]bool{}}
	obs := &countingObserver{}
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: clk, Ownership: own, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	res, err := call(t, func(r Reply) { m.Invite(caller("alice"), inviteReq(30*time.Second, "bob"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id := res.(InviteResult).CallID
	n.mu.Lock()
	before := len(n.log)
	n.mu.Unlock()
	m.Abandon(id)
	eventually(t, "the room to stop", func() bool { return m.Calls() == 0 && !m.Owns(id) })
	clk.Advance(time.Minute) // the ring timer must not fire either
	time.Sleep(20 * time.Millisecond)
	n.mu.Lock()
	after := len(n.log)
	n.mu.Unlock()
	if after != before {
		t.Fatalf("abandon emitted %d events: %+v", after-before, n.log[before:])
	}
	if _, ok := m.index.Slot("bob"); !ok {
		t.Fatal("abandon released bob's slot, which belongs to the new owner")
	}
	own.mu.Lock()
	disowned := len(own.disowned)
	own.mu.Unlock()
	obs.mu.Lock()
	ended := obs.ended
	obs.mu.Unlock()
	if disowned != 0 || ended != 0 {
		t.Fatalf("abandon disowned %d calls and reported %d ends", disowned, ended)
	}
}
