package signaling_test

import (
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

func TestResumeKeepsMembershipWithoutUserLeft(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	_, err := bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	mustOK(t, bob.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(false)}))
	sid := bob.SessionID()
	bob.Drop()
	bob2 := h.dialWith(client.Config{Token: h.token("bob", "Bob"), DeviceID: "d1", Resume: sid})
	hr := bob2.Hello()
	if !hr.Resumed || hr.SessionID != sid || hr.Call == nil || hr.Call.CallID != res.CallID {
		t.Fatalf("resume: %+v", hr)
	}
	for _, m := range hr.Call.Members {
		if m.User.ID == "bob" && (m.Camera || m.User.Name != "Bob") {
			t.Fatalf("state kept and name from the newest token: %+v", m)
		}
	}
	noEvent(t, alice, signaling.TypeUserLeft)
	mustOK(t, bob2.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: res.CallID, Microphone: client.Bool(false)}))
	waitMatch(t, alice, signaling.TypeDeviceState, func(e *signaling.DeviceState) bool { return e.UserID == "bob" && !e.Microphone })
}

func TestResumeWithOtherDeviceIsFresh(t *testing.T) {
	h := newHarness(t)
	bob := h.dial("bob")
	sid := bob.SessionID()
	other := h.dialWith(client.Config{Token: h.token("bob", "Bob"), DeviceID: "d2", Resume: sid})
	if other.Hello().Resumed || other.SessionID() == sid {
		t.Fatalf("another device must get a fresh session: %+v", other.Hello())
	}
	unknown := h.dialWith(client.Config{Token: h.token("bob", "Bob"), DeviceID: "d3", Resume: "s_nope"})
	if unknown.Hello().Resumed {
		t.Fatal("unknown resume id must give a fresh session")
	}
}

func TestGraceExpiryLeavesAsDisconnectedAndCancelsCallerGone(t *testing.T) {
	h := newHarness(t, func(c *signaling.Config) { c.ResumeGrace = 300 * time.Millisecond })
	alice, bob, carol := h.dial("alice"), h.dial("bob"), h.dial("carol")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}},
		CallConfig: &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}})
	mustOK(t, err)
	_, err = bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	dave := h.dial("dave")
	invite(t, bob, "video", "carol")  // rung by bob
	invite(t, alice, "video", "dave") // rung by alice
	waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	waitEvent[signaling.IncomingCall](t, dave, signaling.TypeIncomingCall)
	bob.Drop()
	l := waitEvent[signaling.UserLeft](t, alice, signaling.TypeUserLeft)
	if l.User.ID != "bob" || l.Reason != "disconnected" {
		t.Fatalf("userLeft: %+v", l)
	}
	c := waitEvent[signaling.IncomingCallCanceled](t, carol, signaling.TypeIncomingCallCanceled)
	if c.Reason != "callerGone" || c.Caller.ID != "bob" {
		t.Fatalf("callerGone: %+v", c)
	}
	noEvent(t, dave, signaling.TypeIncomingCallCanceled)
	// alice drops too: the call empties; dave's ring ends with callerGone
	// (alice rang him), which wins over callEnded.
	alice.Drop()
	c = waitEvent[signaling.IncomingCallCanceled](t, dave, signaling.TypeIncomingCallCanceled)
	if c.Reason != "callerGone" {
		t.Fatalf("callerGone wins: %+v", c)
	}
	// A late resume gets a fresh session.
	late := h.dialWith(client.Config{Token: h.token("bob", "Bob"), DeviceID: "d1", Resume: "whatever"})
	if late.Hello().Resumed || late.Hello().Call != nil {
		t.Fatalf("after grace: %+v", late.Hello())
	}
}

func TestTakeoverClosesOldConnectionWith4009(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	_, err := bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	bob2 := h.dialDevice("bob", "d1") // same device, no resume id
	if !bob2.Hello().Resumed || bob2.SessionID() != bob.SessionID() || bob2.Hello().Call == nil {
		t.Fatalf("takeover: %+v", bob2.Hello())
	}
	if code := waitClosed(t, bob); code != 4009 {
		t.Fatalf("old connection close code %d, want 4009", code)
	}
	noEvent(t, alice, signaling.TypeUserLeft)
	mustOK(t, bob2.Leave(ctx(t), res.CallID))
	waitMatch(t, alice, signaling.TypeUserLeft, func(e *signaling.UserLeft) bool { return e.Reason == "left" })
}

func TestResumeListsWaitingInvitations(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "voice", "bob")
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	sid := bob.SessionID()
	bob.Drop()
	bob2 := h.dialWith(client.Config{Token: h.token("bob", "Bob"), DeviceID: "d1", Resume: sid})
	p := bob2.Hello().PendingInvitations
	if len(p) != 1 || p[0].CallID != res.CallID {
		t.Fatalf("pending after resume: %+v", p)
	}
	noEvent(t, bob2, signaling.TypeIncomingCall)
}

func TestGlareMergesCrossingInvitations(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, bob, "video", "alice")
	waitEvent[signaling.IncomingCall](t, alice, signaling.TypeIncomingCall)
	merged := invite(t, alice, "video", "bob")
	if !merged.Merged || merged.CallID != res.CallID || merged.InvitationID != res.InvitationID || len(merged.Invitees) != 0 {
		t.Fatalf("glare result: %+v", merged)
	}
	a := waitEvent[signaling.OutgoingCallAnswer](t, bob, signaling.TypeOutgoingCallAccepted)
	if a.Callee.ID != "alice" {
		t.Fatalf("outgoingCallAccepted: %+v", a)
	}
	noEvent(t, bob, signaling.TypeIncomingCall)
}

func TestGlareOtherShapeFollowsBusyRule(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	h.dial("carol")
	res := invite(t, bob, "video", "alice")
	waitEvent[signaling.IncomingCall](t, alice, signaling.TypeIncomingCall)
	// alice invites bob and carol: not the glare shape. Creating her call
	// first rejects her waiting invitation as busy (edge rule 7), which
	// ends bob's call (nobody answered it); bob is then free and rings.
	r := invite(t, alice, "video", "bob", "carol")
	if r.Merged || r.CallID == res.CallID || r.Invitees[0].State != "waiting" || r.Invitees[1].State != "waiting" {
		t.Fatalf("non-glare: %+v", r)
	}
	waitEvent[signaling.OutgoingCallAnswer](t, bob, signaling.TypeOutgoingCallRejectedCauseBusy)
	e := waitEvent[signaling.CallEnded](t, bob, signaling.TypeCallEnded)
	if e.CallID != res.CallID || e.Reason != "noAnswer" {
		t.Fatalf("bob's call: %+v", e)
	}
	ic := waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	if ic.CallID != r.CallID {
		t.Fatalf("bob rung for alice's call: %+v", ic)
	}
}
