package signaling_test

import (
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

func TestDeclineEndsOneToOneWithNoAnswer(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "voice", "bob")
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	mustOK(t, bob.Reject(ctx(t), res.CallID, "", "no thanks"))
	d := waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallDeclined)
	if d.Callee.ID != "bob" || d.CustomData != "no thanks" {
		t.Fatalf("declined: %+v", d)
	}
	waitMatch(t, alice, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return e.Users[0].State == "declined"
	})
	e := waitEvent[signaling.CallEnded](t, alice, signaling.TypeCallEnded)
	if e.Reason != "noAnswer" || e.CallID != res.CallID {
		t.Fatalf("callEnded: %+v", e)
	}
	// The call id is free again: re-sending reuses it.
	res2, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", CallID: res.CallID, Invitees: []signaling.User{{ID: "bob"}}})
	mustOK(t, err)
	if res2.CallID != res.CallID || res2.InvitationID == res.InvitationID {
		t.Fatalf("reuse: %+v vs %+v", res2, res)
	}
}

func TestRejectWithReasonBusy(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	mustOK(t, bob.Reject(ctx(t), res.CallID, "busy", ""))
	waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallRejectedCauseBusy)
	waitMatch(t, alice, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return e.Users[0].State == "busy"
	})
	waitEvent[signaling.CallEnded](t, alice, signaling.TypeCallEnded)
	// Answering again is not_found: the invitation is no longer waiting.
	wantCode(t, bob.Reject(ctx(t), res.CallID, "", ""), "not_found")
}

func TestBusyInviteeInCallAndRinging(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol, dave := h.dial("alice"), h.dial("bob"), h.dial("carol"), h.dial("dave")
	// bob is in a call with alice.
	res := invite(t, alice, "video", "bob")
	_, err := bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	bob.Discard()
	// carol rings bob alone: busy at once, then noAnswer after the result.
	r2 := invite(t, carol, "video", "bob")
	if len(r2.Invitees) != 1 || r2.Invitees[0].State != "busy" || r2.Invitees[0].Skipped {
		t.Fatalf("busy result: %+v", r2)
	}
	b := waitEvent[signaling.OutgoingCallAnswer](t, carol, signaling.TypeOutgoingCallRejectedCauseBusy)
	if b.Callee.ID != "bob" || b.CallID != r2.CallID {
		t.Fatalf("busy event: %+v", b)
	}
	waitEvent[signaling.CallEnded](t, carol, signaling.TypeCallEnded)
	noEvent(t, bob, signaling.TypeIncomingCall)
	// dave rings carol (free again) and alice... alice is busy in the call.
	r3 := invite(t, dave, "voice", "carol", "alice")
	if r3.Invitees[0].State != "waiting" || r3.Invitees[1].State != "busy" {
		t.Fatalf("mixed: %+v", r3)
	}
	waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	// A user with a waiting invitation is busy for any other call, online or not.
	r4 := invite(t, h.dial("frank"), "voice", "carol")
	if r4.Invitees[0].State != "busy" {
		t.Fatalf("ringing user must be busy: %+v", r4)
	}
	r6, err := dave.Invite(ctx(t), signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "erin"}}})
	if err == nil {
		t.Fatalf("dave is in a call with canInvitingInCalling false: want not_permitted, got %+v", r6)
	}
	wantCode(t, err, "not_permitted")
}

func TestCancelRules(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.dial("alice"), h.dial("bob"), h.dial("carol")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}, {ID: "carol"}},
		CallConfig: &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}})
	mustOK(t, err)
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	// Validation and state errors.
	wantCode(t, alice.Cancel(ctx(t), res.CallID, []string{}, ""), "bad_request")
	wantCode(t, alice.Cancel(ctx(t), res.CallID, []string{"zed"}, ""), "not_found")
	wantCode(t, alice.Cancel(ctx(t), res.CallID, []string{"bad id"}, ""), "bad_request")
	wantCode(t, bob.Cancel(ctx(t), res.CallID, nil, ""), "not_found") // not a member
	// All-or-nothing: one unknown id cancels nobody.
	wantCode(t, alice.Cancel(ctx(t), res.CallID, []string{"bob", "zed"}, ""), "not_found")
	noEvent(t, bob, signaling.TypeIncomingCallCanceled)
	mustOK(t, alice.Cancel(ctx(t), res.CallID, []string{"bob"}, "sorry"))
	c := waitEvent[signaling.IncomingCallCanceled](t, bob, signaling.TypeIncomingCallCanceled)
	if c.Reason != "canceled" || c.Caller.ID != "alice" || c.CustomData != "sorry" || c.CallID != res.CallID {
		t.Fatalf("canceled: %+v", c)
	}
	wantCode(t, alice.Cancel(ctx(t), res.CallID, []string{"bob"}, ""), "not_found")
	// carol accepts, then rings dave; alice (initiator) may cancel dave, but
	// a non-initiator may not cancel someone alice rang.
	_, err = carol.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	dave := h.dial("dave")
	erin := h.dial("erin")
	invite(t, carol, "video", "dave")
	invite(t, alice, "video", "erin")
	waitEvent[signaling.IncomingCall](t, dave, signaling.TypeIncomingCall)
	waitEvent[signaling.IncomingCall](t, erin, signaling.TypeIncomingCall)
	wantCode(t, carol.Cancel(ctx(t), res.CallID, []string{"erin"}, ""), "not_permitted")
	mustOK(t, alice.Cancel(ctx(t), res.CallID, []string{"dave"}, ""))
	c = waitEvent[signaling.IncomingCallCanceled](t, dave, signaling.TypeIncomingCallCanceled)
	if c.Caller.ID != "carol" {
		t.Fatalf("caller must be the member whose invitation rang: %+v", c)
	}
	// Default userIDs: every waiting invitee the caller rang.
	mustOK(t, alice.Cancel(ctx(t), res.CallID, nil, ""))
	waitEvent[signaling.IncomingCallCanceled](t, erin, signaling.TypeIncomingCallCanceled)
}

func TestGroupTimeoutOneEventPerInvite(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.dial("alice"), h.dial("bob"), h.dial("carol")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", TimeoutSeconds: client.Int(1),
		Invitees: []signaling.User{{ID: "bob"}, {ID: "carol"}, {ID: "offline-dan", Name: "Dan"}}})
	mustOK(t, err)
	ic := waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	if ic.TimeoutSeconds != 1 || len(ic.Invitees) != 3 || ic.Invitees[2].Name != "Dan" {
		t.Fatalf("incomingCall: %+v", ic)
	}
	to := waitEvent[signaling.OutgoingCallTimeout](t, alice, signaling.TypeOutgoingCallTimeout)
	if len(to.Callees) != 3 || to.Type != "video" || to.CallID != res.CallID {
		t.Fatalf("outgoingCallTimeout: %+v", to)
	}
	for _, c := range []*client.Client{bob, carol} {
		it := waitEvent[signaling.IncomingCallTimeout](t, c, signaling.TypeIncomingCallTimeout)
		if it.Caller.ID != "alice" || it.CallID != res.CallID {
			t.Fatalf("incomingCallTimeout: %+v", it)
		}
	}
	waitEvent[signaling.CallEnded](t, alice, signaling.TypeCallEnded)
	noEvent(t, alice, signaling.TypeOutgoingCallTimeout)
}

func TestEmptyCallCancelsWaitingInvitees(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.dial("alice"), h.dial("bob"), h.dial("carol")
	res := invite(t, alice, "video", "bob", "carol")
	_, err := bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	mustOK(t, alice.Leave(ctx(t), res.CallID))
	waitMatch(t, bob, signaling.TypeUserLeft, func(e *signaling.UserLeft) bool { return e.User.ID == "alice" && e.Reason == "left" })
	noEvent(t, carol, signaling.TypeIncomingCallCanceled) // still ringing while bob is there
	mustOK(t, bob.Leave(ctx(t), res.CallID))
	c := waitEvent[signaling.IncomingCallCanceled](t, carol, signaling.TypeIncomingCallCanceled)
	if c.Reason != "callEnded" || c.Caller.ID != "alice" {
		t.Fatalf("canceled: %+v", c)
	}
	wantCode(t, bob.Leave(ctx(t), res.CallID), "not_found")
}

func TestOfflineInviteeGetsPendingInvitation(t *testing.T) {
	h := newHarness(t)
	alice := h.dial("alice")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", TimeoutSeconds: client.Int(30),
		Invitees: []signaling.User{{ID: "bob", Name: "Bobby"}}})
	mustOK(t, err)
	if res.Invitees[0].User.Name != "Bobby" {
		t.Fatalf("never-seen user takes the inviter's name: %+v", res.Invitees[0])
	}
	isc := waitEvent[signaling.InvitationStateChanged](t, alice, signaling.TypeInvitationStateChanged)
	if isc.Users[0].Received {
		t.Fatal("offline invitee cannot have received the invitation")
	}
	bob := h.dial("bob")
	p := bob.Hello().PendingInvitations
	if len(p) != 1 || p[0].CallID != res.CallID || p[0].TimeoutSeconds < 29 || p[0].TimeoutSeconds > 30 || p[0].Caller.ID != "alice" {
		t.Fatalf("pendingInvitations: %+v", p)
	}
	waitMatch(t, alice, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return e.Users[0].Received && e.Users[0].User.Name == "Name-of-bob"
	})
	noEvent(t, bob, signaling.TypeIncomingCall) // delivered once, in the hello result
	_, err = bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallAccepted)
}
