package signaling_test

import (
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
)

func TestInviteAcceptFlow(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	if res.CallID == "" || res.InvitationID == "" || len(res.Invitees) != 1 || res.Invitees[0].State != "waiting" || res.Invitees[0].Skipped {
		t.Fatalf("invite result: %+v", res)
	}
	ic := waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	if ic.CallID != res.CallID || ic.InvitationID != res.InvitationID || ic.Caller.ID != "alice" ||
		ic.Caller.Name != "Name-of-alice" || ic.Type != "video" || ic.TimeoutSeconds != 60 || ic.ExpiresAt == "" ||
		len(ic.Invitees) != 1 || ic.Invitees[0].ID != "bob" {
		t.Fatalf("incomingCall: %+v", ic)
	}
	isc := waitMatch(t, alice, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return len(e.Users) == 1 && e.Users[0].Received
	})
	if isc.Users[0].State != "waiting" {
		t.Fatalf("invitationStateChanged: %+v", isc)
	}
	st, err := bob.Accept(ctx(t), res.CallID, "hi")
	mustOK(t, err)
	if len(st.Members) != 2 || st.Initiator.ID != "alice" || st.Type != "video" || !st.Members[1].Camera || st.Members[1].AudioRoute != "speaker" {
		t.Fatalf("call state: %+v", st)
	}
	acc := waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallAccepted)
	if acc.Callee.ID != "bob" || acc.CustomData != "hi" {
		t.Fatalf("outgoingCallAccepted: %+v", acc)
	}
	j := waitEvent[signaling.UserJoined](t, alice, signaling.TypeUserJoined)
	if j.User.ID != "bob" || j.User.Name != "Name-of-bob" {
		t.Fatalf("userJoined: %+v", j)
	}
	waitMatch(t, bob, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return len(e.Users) == 1 && e.Users[0].State == "accepted"
	})
	mustOK(t, bob.Leave(ctx(t), res.CallID))
	l := waitEvent[signaling.UserLeft](t, alice, signaling.TypeUserLeft)
	if l.User.ID != "bob" || l.Reason != "left" {
		t.Fatalf("userLeft: %+v", l)
	}
}
