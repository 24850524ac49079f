package signaling_test

import (
	"fmt"
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// users returns n User objects named prefix0…prefixN-1.
func usersNamed(prefix string, from, n int) []signaling.User {
	out := make([]signaling.User, n)
	for i := range out {
		out[i] = signaling.User{ID: fmt.Sprintf("%s%d", prefix, from+i)}
	}
	return out
}

// TestCallSizeCapRefusesGrowthAndChangesNothing grows a call to the
// default cap of 50 (members plus waiting invitees), 9 invitees at a time as
// the invite limit allows, and checks that one more invitee, a call started
// over the cap and a join of a full call are each refused with too_large and
// change nothing, while a call beside it keeps working. Before the cap, the
// call grew without bound (3,026 invitees in the probe).
func TestCallSizeCapRefusesGrowthAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	alice, watcher := h.dial("alice"), h.dial("u5")
	// A healthy call beside it.
	carol, dave := h.dial("carol"), h.dial("dave")
	side := invite(t, carol, "voice", "dave")
	waitEvent[signaling.IncomingCall](t, dave, signaling.TypeIncomingCall)
	_, err := dave.Accept(ctx(t), side.CallID, "")
	mustOK(t, err)

	grow := &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: usersNamed("u", 0, 9), CallConfig: grow})
	mustOK(t, err)
	call := res.CallID
	next := 9
	for next < 49 { // alice + 49 invitees = 50
		n := min(9, 49-next)
		_, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call, Invitees: usersNamed("u", next, n)})
		mustOK(t, err)
		next += n
	}
	waitMatch(t, watcher, signaling.TypeInvitationStateChanged, func(e *signaling.InvitationStateChanged) bool {
		return len(e.Users) == 49
	})
	over := h.dial("over")
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call, Invitees: []signaling.User{{ID: "over"}}})
	wantCode(t, err, "too_large")
	// Naming users already waiting alongside a new one is refused too, and
	// naming only users already waiting passes (nothing grows).
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call,
		Invitees: []signaling.User{{ID: "u1"}, {ID: "over"}}})
	wantCode(t, err, "too_large")
	res, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call, Invitees: usersNamed("u", 0, 2)})
	mustOK(t, err)
	for _, o := range res.Invitees {
		if !o.Skipped {
			t.Fatalf("re-invite of waiting users: %+v", res.Invitees)
		}
	}
	// A join of the full call is refused; a waiting invitee's accept is not
	// growth and passes.
	_, err = over.Join(ctx(t), signaling.JoinRequest{CallID: call})
	wantCode(t, err, "too_large")
	_, err = watcher.Accept(ctx(t), call, "")
	mustOK(t, err)
	// Nothing reached "over", and the invitee list did not grow.
	noEvent(t, over, signaling.TypeIncomingCall)
	st, err := watcher.Join(ctx(t), signaling.JoinRequest{CallID: call})
	mustOK(t, err)
	if len(st.Members)+waitingIn(st) != 50 || len(st.Invitees) != 49 {
		t.Fatalf("call after refusals: %d members, %d invitees (%d waiting)", len(st.Members), len(st.Invitees), waitingIn(st))
	}
	// Once someone answers, there is room again.
	u0 := h.dial("u0")
	mustOK(t, u0.Reject(ctx(t), call, "", ""))
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call, Invitees: []signaling.User{{ID: "over"}}})
	mustOK(t, err)
	waitEvent[signaling.IncomingCall](t, over, signaling.TypeIncomingCall)

	// The call beside it kept working throughout.
	mustOK(t, carol.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: side.CallID, Microphone: client.Bool(false)}))
	waitMatch(t, dave, signaling.TypeDeviceState, func(e *signaling.DeviceState) bool { return e.UserID == "carol" })
}

// TestCallSizeCapRefusesAnOversizedNewCall starts calls over a small cap:
// the invite is refused with too_large and no call is created.
func TestCallSizeCapRefusesAnOversizedNewCall(t *testing.T) {
	h := newHarness(t, func(c *signaling.Config) { c.MaxCallSize = 4 })
	alice, bob := h.dial("alice"), h.dial("bob")
	_, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: "big", Invitees: append(usersNamed("x", 0, 3),
		signaling.User{ID: "bob"})})
	wantCode(t, err, "too_large")
	if n := h.srv.Manager().Calls(); n != 0 {
		t.Fatalf("%d calls after a refused start", n)
	}
	noEvent(t, bob, signaling.TypeIncomingCall)
	_, err = bob.Join(ctx(t), signaling.JoinRequest{CallID: "big"})
	wantCode(t, err, "bad_request") // the call does not exist, so creating it needs a type
	res := invite(t, alice, "video", "bob", "x0", "x1")
	if len(res.Invitees) != 3 {
		t.Fatalf("invite at the cap: %+v", res)
	}
}

// TestOutstandingInvitationCapCountsAcrossCalls checks the per-user cap on
// waiting invitations: invitations still ringing in a call the inviter has
// left count against a new call, and an answer frees a place.
func TestOutstandingInvitationCapCountsAcrossCalls(t *testing.T) {
	h := newHarness(t, func(c *signaling.Config) { c.MaxOutstandingInvites = 3 })
	alice, erin, bob := h.dial("alice"), h.dial("erin"), h.dial("bob")
	grow := &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "erin"}, {ID: "bob"}},
		CallConfig: grow})
	mustOK(t, err)
	waitEvent[signaling.IncomingCall](t, erin, signaling.TypeIncomingCall)
	_, err = erin.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: res.CallID, Invitees: usersNamed("y", 0, 3)})
	wantCode(t, err, "too_large") // bob + 3 > 3
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: res.CallID, Invitees: usersNamed("y", 0, 2)})
	mustOK(t, err)
	// Alice leaves; her three invitations keep ringing in erin's call.
	mustOK(t, alice.Leave(ctx(t), res.CallID))
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "frank"}}})
	wantCode(t, err, "too_large")
	if n := h.srv.Manager().Calls(); n != 1 {
		t.Fatalf("%d calls, want only erin's", n)
	}
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	mustOK(t, bob.Reject(ctx(t), res.CallID, "", ""))
	invite(t, alice, "voice", "frank")
}

// waitingIn counts the waiting invitees of a call state.
func waitingIn(st signaling.CallState) int {
	n := 0
	for _, iv := range st.Invitees {
		if iv.State == "waiting" {
			n++
		}
	}
	return n
}
