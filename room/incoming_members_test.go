package room

import (
	"testing"
	"time"
)

// membersOf returns the Members of the last incomingCall u got for call.
func membersOf(n *fakeNotifier, u UserID, call CallID) ([]UserID, bool) {
	var out []UserID
	found := false
	for _, e := range n.events(u) {
		if ic, ok := e.(IncomingCall); ok && ic.CallID == call {
			found = true
			out = out[:0]
			for _, m := range ic.Members {
				out = append(out, m.ID)
			}
		}
	}
	return out, found
}

// TestIncomingCallListsTheMembers: an invitation into a running call says
// who is in it (PROTOCOL.md §9.5); the one that starts a call lists only the
// caller; a pending invitation in a hello result lists the members now.
func TestIncomingCallListsTheMembers(t *testing.T) {
	m, n, _ := newHistoryManager(t)
	req := inviteReq(30*time.Second, "bob")
	req.CallID = "c1"
	yes, no := true, false
	req.Config = &ConfigOverride{CanInvitingInCalling: &yes, OnlyInitiatorCanInvite: &no}
	if _, err := call(t, func(r Reply) { m.Invite(caller("alice"), req, r) }); err != nil {
		t.Fatal(err)
	}
	if got, ok := membersOf(n, "bob", "c1"); !ok || len(got) != 1 || got[0] != "alice" {
		t.Fatalf("bob's invitation lists members %v (received %v), want [alice]", got, ok)
	}
	if _, err := call(t, func(r Reply) { m.Accept(caller("bob"), "c1", "", r) }); err != nil {
		t.Fatal(err)
	}
	into := inviteReq(30*time.Second, "carol")
	into.CallID = "c1"
	if _, err := call(t, func(r Reply) { m.Invite(caller("bob"), into, r) }); err != nil {
		t.Fatal(err)
	}
	got, ok := membersOf(n, "carol", "c1")
	if !ok || len(got) != 2 || got[0] != "alice" || got[1] != "bob" {
		t.Fatalf("carol's invitation into the running call lists %v (received %v), want [alice bob]", got, ok)
	}
	// Alice leaves; carol's pending invitation (as a hello would get it) lists bob alone.
	if _, err := call(t, func(r Reply) { m.Leave(caller("alice"), "c1", r) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice to have left", func() bool {
		p, _ := m.Attach(Caller{User: "carol", Device: "d2"})
		return len(p) == 1 && len(p[0].Members) == 1 && p[0].Members[0].ID == "bob"
	})
}
