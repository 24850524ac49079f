package signaling_test

import (
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

func TestSeveralDevicesRingAndFirstAnswerWins(t *testing.T) {
	h := newHarness(t)
	alice := h.dial("alice")
	phone, tab := h.dialDevice("bob", "phone"), h.dialDevice("bob", "tab")
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, phone, signaling.TypeIncomingCall)
	waitEvent[signaling.IncomingCall](t, tab, signaling.TypeIncomingCall)
	_, err := phone.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	ae := waitEvent[signaling.IncomingCallAnsweredElsewhere](t, tab, signaling.TypeIncomingCallAnsweredElsewhere)
	if ae.Answer != "accepted" || ae.CallID != res.CallID {
		t.Fatalf("answeredElsewhere: %+v", ae)
	}
	noEvent(t, phone, signaling.TypeIncomingCallAnsweredElsewhere)
	// Membership belongs to the phone: the tab gets conflict and no call events.
	_, err = tab.Accept(ctx(t), res.CallID, "")
	wantCode(t, err, "conflict")
	_, err = tab.Join(ctx(t), signaling.JoinRequest{CallID: res.CallID})
	wantCode(t, err, "conflict")
	wantCode(t, tab.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(false)}), "not_found")
	wantCode(t, tab.Leave(ctx(t), res.CallID), "not_found")
	mustOK(t, alice.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: res.CallID, Microphone: client.Bool(false)}))
	waitEvent[signaling.DeviceState](t, phone, signaling.TypeDeviceState)
	noEvent(t, tab, signaling.TypeDeviceState)
	// A third device signing in now sees no call state; the phone's hello would.
	laptop := h.dialDevice("bob", "laptop")
	if laptop.Hello().Call != nil {
		t.Fatalf("non-member device got call state: %+v", laptop.Hello().Call)
	}
}

func TestRejectOnOneDeviceRejectsEverywhere(t *testing.T) {
	h := newHarness(t)
	alice := h.dial("alice")
	phone, tab := h.dialDevice("bob", "phone"), h.dialDevice("bob", "tab")
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, tab, signaling.TypeIncomingCall)
	mustOK(t, phone.Reject(ctx(t), res.CallID, "", ""))
	ae := waitEvent[signaling.IncomingCallAnsweredElsewhere](t, tab, signaling.TypeIncomingCallAnsweredElsewhere)
	if ae.Answer != "rejected" {
		t.Fatalf("answeredElsewhere: %+v", ae)
	}
	_, err := tab.Accept(ctx(t), res.CallID, "")
	wantCode(t, err, "not_found")
}

func TestJoinByCallID(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.dial("alice"), h.dial("bob"), h.dial("carol")
	_, err := alice.Join(ctx(t), signaling.JoinRequest{CallID: "room-1"})
	wantCode(t, err, "bad_request") // creating needs a type
	st, err := alice.Join(ctx(t), signaling.JoinRequest{CallID: "room-1", Type: "voice",
		CallConfig: &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}})
	mustOK(t, err)
	if st.Initiator.ID != "alice" || len(st.Members) != 1 || st.Members[0].Camera || !st.Config.CanInvitingInCalling {
		t.Fatalf("created: %+v", st)
	}
	st2, err := alice.Join(ctx(t), signaling.JoinRequest{CallID: "room-1"})
	mustOK(t, err)
	if len(st2.Members) != 1 {
		t.Fatalf("idempotent join: %+v", st2)
	}
	st3, err := bob.Join(ctx(t), signaling.JoinRequest{CallID: "room-1", Type: "video"})
	mustOK(t, err)
	if st3.Type != "voice" || len(st3.Members) != 2 {
		t.Fatalf("type of an existing call is kept: %+v", st3)
	}
	j := waitEvent[signaling.UserJoined](t, alice, signaling.TypeUserJoined)
	if j.User.ID != "bob" {
		t.Fatalf("userJoined: %+v", j)
	}
	// Joining with a waiting invitation counts as accepting it.
	invite(t, alice, "voice", "carol")
	waitEvent[signaling.IncomingCall](t, carol, signaling.TypeIncomingCall)
	_, err = carol.Join(ctx(t), signaling.JoinRequest{CallID: "room-1"})
	mustOK(t, err)
	waitMatch(t, alice, signaling.TypeOutgoingCallAccepted, func(e *signaling.OutgoingCallAnswer) bool { return e.Callee.ID == "carol" })
	// A member of another call is busy.
	_, err = h.dial("dave").Join(ctx(t), signaling.JoinRequest{CallID: "room-2", Type: "voice"})
	mustOK(t, err)
	_, err = carol.Join(ctx(t), signaling.JoinRequest{CallID: "room-2"})
	wantCode(t, err, "busy")
}

func TestCreatingAnotherCallRejectsWaitingInvitationAsBusy(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	_, err := bob.Join(ctx(t), signaling.JoinRequest{CallID: "elsewhere", Type: "voice"})
	mustOK(t, err)
	b := waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallRejectedCauseBusy)
	if b.Callee.ID != "bob" || b.CallID != res.CallID {
		t.Fatalf("busy on behalf: %+v", b)
	}
	waitEvent[signaling.CallEnded](t, alice, signaling.TypeCallEnded)
}

func TestTokenCallClaim(t *testing.T) {
	h := newHarness(t)
	tok, err := signaling.Mint(signaling.MintOptions{AppID: testApp, Secret: testSecret, UserID: "kiosk", Name: "Kiosk", Call: "lobby"})
	mustOK(t, err)
	kiosk := h.dialWith(client.Config{Token: tok, DeviceID: "k1"})
	h.dial("bob")
	_, err = kiosk.Join(ctx(t), signaling.JoinRequest{CallID: "other", Type: "video"})
	wantCode(t, err, "not_permitted")
	res, err := kiosk.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
	mustOK(t, err)
	if res.CallID != "lobby" {
		t.Fatalf("invite without callID must use the claimed call: %+v", res)
	}
}
