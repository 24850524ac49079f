package room

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// storedFirst is a Notifier that checks, for each event another device is
// told, that the Persister already stored the state the event shows.
type storedFirst struct {
	fakeNotifier
	per  *lastSnapshot
	mu   sync.Mutex
	errs []string
}

func (n *storedFirst) Notify(to Recipient, ev Event) int {
	data, _ := n.per.get(callOf(ev))
	var snap Snapshot
	bad := ""
	switch e := ev.(type) {
	case IncomingCall:
		if data == nil || json.Unmarshal(data, &snap) != nil || !hasInvitee(snap, to.User, StatusWaiting) {
			bad = fmt.Sprintf("incomingCall to %s before its invitation was stored", to.User)
		}
	case UserJoined:
		if data == nil || json.Unmarshal(data, &snap) != nil || !hasMember(snap, e.User.ID) {
			bad = fmt.Sprintf("userJoined %s (to %s) before the membership was stored", e.User.ID, to.User)
		}
	case CallEnded:
		if data != nil {
			bad = fmt.Sprintf("callEnded to %s while the call's snapshot was still stored", to.User)
		}
	}
	if bad != "" {
		n.mu.Lock()
		n.errs = append(n.errs, bad)
		n.mu.Unlock()
	}
	return n.fakeNotifier.Notify(to, ev)
}

func callOf(ev Event) CallID {
	switch e := ev.(type) {
	case IncomingCall:
		return e.CallID
	case UserJoined:
		return e.CallID
	case CallEnded:
		return e.CallID
	}
	return ""
}

func hasInvitee(s Snapshot, u UserID, st InviteeStatus) bool {
	for _, iv := range s.Invitees {
		if iv.User == u && iv.State == st {
			return true
		}
	}
	return false
}

func hasMember(s Snapshot, u UserID) bool {
	for _, m := range s.Members {
		if m.User == u {
			return true
		}
	}
	return false
}

// TestEventsFollowTheStoredSnapshot: with a Persister, every event that
// shows another device a new state (a ring, a join, the end) goes out only
// once that state is stored, so a node that takes the call over never
// restores a state older than what a client saw.
func TestEventsFollowTheStoredSnapshot(t *testing.T) {
	per := &lastSnapshot{data: map[CallID][]byte{}, users: map[CallID][]UserID{}}
	n := &storedFirst{fakeNotifier: fakeNotifier{offline: map[UserID]bool{}}, per: per}
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: newFakeClock(), Persister: per})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	id := answeredCall(t, m, inviteReq(30*time.Second, "bob", "carol"))
	if _, err := call(t, func(r Reply) { m.Accept(caller("carol"), id, "", r) }); err != nil {
		t.Fatal(err)
	}
	// A second call, 1:1: dave declines and it ends.
	res, err := call(t, func(r Reply) { m.Invite(caller("erin"), inviteReq(30*time.Second, "dave"), r) })
	if err != nil {
		t.Fatal(err)
	}
	id2 := res.(InviteResult).CallID
	if _, err := call(t, func(r Reply) { m.Reject(caller("dave"), id2, "", false, r) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second call to end", func() bool { return m.Calls() == 1 })
	ended := false
	for _, ev := range n.events("erin") {
		if _, ok := ev.(CallEnded); ok {
			ended = true
		}
	}
	if !ended {
		t.Fatal("erin was not told callEnded")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.errs {
		t.Error(e)
	}
}
