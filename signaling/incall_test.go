package signaling_test

import (
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// startCall makes alice the initiator of a call with the given members
// accepted, using cfg as call config.
func startCall(t *testing.T, h *harness, cfg *signaling.CallConfig, members ...string) (string, *client.Client, []*client.Client) {
	t.Helper()
	alice := h.dial("alice")
	req := signaling.InviteRequest{Type: "video", CallConfig: cfg}
	var cs []*client.Client
	for _, m := range members {
		req.Invitees = append(req.Invitees, signaling.User{ID: m})
		cs = append(cs, h.dial(m))
	}
	res, err := alice.Invite(ctx(t), req)
	mustOK(t, err)
	for _, c := range cs {
		_, err := c.Accept(ctx(t), res.CallID, "")
		mustOK(t, err)
	}
	alice.Discard()
	for _, c := range cs {
		c.Discard()
	}
	return res.CallID, alice, cs
}

func TestInviteInCallingPolicy(t *testing.T) {
	h := newHarness(t)
	// Default config: no inviting into a running call.
	call, alice, bob := startCall(t, h, nil, "bob")
	h.dial("carol")
	_, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "carol"}}})
	wantCode(t, err, "not_permitted")
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: "other", Invitees: []signaling.User{{ID: "carol"}}})
	wantCode(t, err, "conflict")
	_ = bob
	_ = call
}

func TestInviteInCallingOnlyInitiator(t *testing.T) {
	h := newHarness(t)
	call, alice, ms := startCall(t, h, &signaling.CallConfig{CanInvitingInCalling: client.Bool(true), OnlyInitiatorCanInvite: client.Bool(true)}, "bob")
	carol := h.dial("carol")
	_, err := ms[0].Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "carol"}}})
	wantCode(t, err, "not_permitted")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "carol"}, {ID: "bob"}}})
	mustOK(t, err)
	if res.CallID != call || res.Invitees[1].State != "accepted" || !res.Invitees[1].Skipped || res.Invitees[0].Skipped {
		t.Fatalf("in-calling result: %+v", res)
	}
	ic := waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	if len(ic.Invitees) != 2 {
		t.Fatalf("incomingCall.invitees lists every user named: %+v", ic)
	}
	// Re-inviting a waiting invitee skips it.
	res2, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "carol"}}})
	mustOK(t, err)
	if !res2.Invitees[0].Skipped || res2.Invitees[0].State != "waiting" {
		t.Fatalf("skip waiting: %+v", res2)
	}
	// The waiting tile: members and the waiting invitee get the state list.
	waitMatch(t, ms[0], signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		for _, u := range e.Users {
			if u.User.ID == "carol" && u.State == "waiting" {
				return true
			}
		}
		return false
	})
	waitEvent[signaling.InvitationStateChanged](t, carol, signaling.TypeInvitationStateChanged)
	_, err = carol.Accept(ctx(t), call, "")
	mustOK(t, err)
	// userJoined reaches every other member, the inviter included.
	waitMatch(t, alice, signaling.TypeUserJoined, func(e *signaling.UserJoined) bool { return e.User.ID == "carol" })
	waitMatch(t, ms[0], signaling.TypeUserJoined, func(e *signaling.UserJoined) bool { return e.User.ID == "carol" })
}

func TestInviteesKeepRingingWhenInviterLeaves(t *testing.T) {
	h := newHarness(t)
	call, _, ms := startCall(t, h, &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}, "bob")
	carol := h.dial("carol")
	invite(t, ms[0], "video", "carol")
	waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	mustOK(t, ms[0].Leave(ctx(t), call))
	noEvent(t, carol, signaling.TypeIncomingCallCanceled)
	_, err := carol.Accept(ctx(t), call, "")
	mustOK(t, err)
}

func TestEndCallWhenInitiatorLeave(t *testing.T) {
	h := newHarness(t)
	call, alice, ms := startCall(t, h, &signaling.CallConfig{CanInvitingInCalling: client.Bool(true),
		EndCallWhenInitiatorLeave: client.Bool(true)}, "bob", "carol")
	dave := h.dial("dave")
	invite(t, ms[0], "video", "dave")
	waitEvent[signaling.IncomingCall](t, dave, signaling.TypeIncomingCall)
	mustOK(t, alice.Leave(ctx(t), call))
	for _, m := range ms {
		e := waitEvent[signaling.CallEnded](t, m, signaling.TypeCallEnded)
		if e.Reason != "initiatorLeft" || e.CallID != call {
			t.Fatalf("callEnded: %+v", e)
		}
		noEvent(t, m, signaling.TypeUserLeft)
	}
	c := waitEvent[signaling.IncomingCallCanceled](t, dave, signaling.TypeIncomingCallCanceled)
	if c.Reason != "callEnded" || c.Caller.ID != "bob" {
		t.Fatalf("waiting invitee canceled: %+v", c)
	}
	noEvent(t, alice, signaling.TypeCallEnded)
	wantCode(t, ms[0].Leave(ctx(t), call), "not_found")
}

func TestRemoveKicksOut(t *testing.T) {
	h := newHarness(t)
	call, alice, ms := startCall(t, h, nil, "bob", "carol")
	bob, carol := ms[0], ms[1]
	wantCode(t, bob.Remove(ctx(t), call, "carol"), "not_permitted")
	wantCode(t, alice.Remove(ctx(t), call, "alice"), "bad_request")
	wantCode(t, alice.Remove(ctx(t), call, "zed"), "not_found")
	wantCode(t, alice.Remove(ctx(t), call, "bad id!"), "bad_request")
	wantCode(t, alice.Remove(ctx(t), call, "bob", "zed"), "not_found") // all or nothing
	noEvent(t, bob, signaling.TypeRemoved)
	mustOK(t, alice.Remove(ctx(t), call, "bob"))
	r := waitEvent[signaling.Removed](t, bob, signaling.TypeRemoved)
	if r.By.ID != "alice" || r.CallID != call {
		t.Fatalf("removed: %+v", r)
	}
	l := waitEvent[signaling.UserLeft](t, carol, signaling.TypeUserLeft)
	if l.User.ID != "bob" || l.Reason != "removed" {
		t.Fatalf("userLeft: %+v", l)
	}
	waitMatch(t, carol, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		for _, u := range e.Users {
			if u.User.ID == "bob" {
				return u.State == "removed"
			}
		}
		return false
	})
	// The removed user is free: it may be rung elsewhere.
	wantCode(t, bob.Leave(ctx(t), call), "not_found")
	other := h.dial("zoe")
	res := invite(t, other, "voice", "bob")
	if res.Invitees[0].State != "waiting" {
		t.Fatalf("removed user must be free: %+v", res)
	}
}

func TestSetDeviceAndRemoteDevice(t *testing.T) {
	h := newHarness(t)
	call, alice, ms := startCall(t, h, nil, "bob")
	bob := ms[0]
	wantCode(t, bob.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: call}), "bad_request")
	wantCode(t, bob.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: call, AudioRoute: client.String("moon")}), "bad_request")
	mustOK(t, bob.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: call, AudioRoute: client.String("bluetooth")}))
	for _, c := range []*client.Client{alice, bob} {
		d := waitEvent[signaling.DeviceState](t, c, signaling.TypeDeviceState)
		if d.UserID != "bob" || d.AudioRoute != "bluetooth" || !d.Camera || !d.Microphone {
			t.Fatalf("deviceState: %+v", d)
		}
	}
	// Unchanged setDevice still broadcasts.
	mustOK(t, bob.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: call, Camera: client.Bool(true)}))
	waitEvent[signaling.DeviceState](t, alice, signaling.TypeDeviceState)

	// Remote control: initiator only, not oneself, members only.
	wantCode(t, bob.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "alice", Camera: client.Bool(false)}), "not_permitted")
	wantCode(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "alice", Camera: client.Bool(false)}), "bad_request")
	wantCode(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "zed", Camera: client.Bool(false)}), "not_found")
	wantCode(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "bob"}), "bad_request")
	bob.Discard()
	alice.Discard()
	mustOK(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "bob", Microphone: client.Bool(false), Camera: client.Bool(true)}))
	dc := waitEvent[signaling.DeviceControl](t, bob, signaling.TypeDeviceControlled)
	if dc.By.ID != "alice" || dc.Microphone == nil || *dc.Microphone || dc.Camera != nil {
		t.Fatalf("deviceControlled carries only the fields turned off: %+v", dc)
	}
	ds := waitEvent[signaling.DeviceState](t, alice, signaling.TypeDeviceState)
	if ds.UserID != "bob" || ds.Microphone {
		t.Fatalf("deviceState after remote off: %+v", ds)
	}
	// Turning off what is already off sends nothing.
	mustOK(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "bob", Microphone: client.Bool(false)}))
	noEvent(t, bob, signaling.TypeDeviceControlled)
	noEvent(t, alice, signaling.TypeDeviceState)
	// Turning on is a request to the target alone.
	mustOK(t, alice.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: call, UserID: "bob", Microphone: client.Bool(true)}))
	rq := waitEvent[signaling.DeviceControl](t, bob, signaling.TypeDeviceRequest)
	if rq.Microphone == nil || !*rq.Microphone || rq.By.ID != "alice" {
		t.Fatalf("deviceRequest: %+v", rq)
	}
	noEvent(t, alice, signaling.TypeDeviceState)
}

func TestMediaRequestsWithoutMediaAreUnavailable(t *testing.T) {
	h := newHarness(t) // no MediaAPI
	call, alice, _ := startCall(t, h, nil, "bob")
	err := alice.Request(ctx(t), signaling.TypeOffer, signaling.OfferRequest{CallID: call, Target: "publisher", SDP: "v=0"}, nil)
	wantCode(t, err, "unavailable")
	err = alice.Request(ctx(t), signaling.TypeSubscribe, signaling.SubscribeRequest{CallID: call, TrackID: "TR_x", Quality: "low"}, nil)
	wantCode(t, err, "not_found")
	// A non-member asking for media is not_found, not unavailable.
	carol := h.dial("carol")
	err = carol.Request(ctx(t), signaling.TypeOffer, signaling.OfferRequest{CallID: call, Target: "publisher", SDP: "v=0"}, nil)
	wantCode(t, err, "not_found")
}
