package signaling_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// gaugeNames are every gauge the signaling server exports.
var gaugeNames = []string{"ringsfu_calls", "ringsfu_members", "ringsfu_invitations_waiting", "ringsfu_inviters",
	"ringsfu_sessions", "ringsfu_connections", "ringsfu_connections_pending"}

// gaugeValues reads every gauge of gaugeNames from reg.
func gaugeValues(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	mustOK(t, err)
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if m.GetGauge() != nil {
				out[f.GetName()] += m.GetGauge().GetValue()
			}
		}
	}
	for _, n := range gaugeNames {
		if _, ok := out[n]; !ok {
			t.Fatalf("no gauge %s", n)
		}
	}
	return out
}

// waitGauges polls reg until every gauge in want has its value.
func waitGauges(t *testing.T, reg *prometheus.Registry, want map[string]float64) {
	t.Helper()
	deadline := time.Now().Add(3 * wait)
	for {
		got := gaugeValues(t, reg)
		bad := ""
		for n, v := range want {
			if got[n] != v {
				bad += fmt.Sprintf(" %s=%v (want %v)", n, got[n], v)
			}
		}
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gauges:%s", bad)
		}
		runtimeYield()
	}
}

// zeroGauges is every gauge at zero.
func zeroGauges() map[string]float64 {
	m := map[string]float64{}
	for _, n := range gaugeNames {
		m[n] = 0
	}
	return m
}

// TestGaugesReturnToZeroAfterEveryEnding runs one call through each way a
// call, membership, invitation or session can end, checks the gauges while
// something is live, and then that every gauge is back to zero. Before the
// gauges were read from state, ringsfu_members stayed up by one for every
// unanswered call and for every member left when endCallWhenInitiatorLeave
// ended a call.
func TestGaugesReturnToZeroAfterEveryEnding(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(c *signaling.Config) {
		c.Registerer = reg
		c.ResumeGrace = 200 * time.Millisecond
	})
	one := client.Int(1)
	users := map[string]*client.Client{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		users[u] = h.dial(u)
	}
	alice, bob, carol, dave := users["alice"], users["bob"], users["carol"], users["dave"]
	ended := func(c *client.Client, call, reason string) {
		t.Helper()
		waitMatch(t, c, signaling.TypeCallEnded, func(e *signaling.CallEnded) bool { return e.CallID == call && e.Reason == reason })
	}
	inv := func(from *client.Client, req signaling.InviteRequest, to ...string) string {
		t.Helper()
		for _, u := range to {
			req.Invitees = append(req.Invitees, signaling.User{ID: u})
		}
		if req.Type == "" {
			req.Type = "video"
		}
		res, err := from.Invite(ctx(t), req)
		mustOK(t, err)
		return res.CallID
	}
	accept := func(c *client.Client, call string) {
		t.Helper()
		waitMatch(t, c, signaling.TypeIncomingCall, func(e *signaling.IncomingCall) bool { return e.CallID == call })
		_, err := c.Accept(ctx(t), call, "")
		mustOK(t, err)
	}

	// Unanswered 1:1: the ring times out.
	call := inv(alice, signaling.InviteRequest{TimeoutSeconds: one}, "bob")
	waitGauges(t, reg, map[string]float64{"ringsfu_calls": 1, "ringsfu_members": 1, "ringsfu_invitations_waiting": 1,
		"ringsfu_inviters": 1, "ringsfu_sessions": 4, "ringsfu_connections": 4})
	ended(alice, call, "noAnswer")

	// Declined.
	call = inv(alice, signaling.InviteRequest{}, "bob")
	waitMatch(t, bob, signaling.TypeIncomingCall, func(e *signaling.IncomingCall) bool { return e.CallID == call })
	mustOK(t, bob.Reject(ctx(t), call, "", ""))
	ended(alice, call, "noAnswer")

	// Canceled.
	call = inv(alice, signaling.InviteRequest{}, "bob")
	mustOK(t, alice.Cancel(ctx(t), call, nil, ""))
	ended(alice, call, "noAnswer")

	// Busy: bob and carol are in a call, so alice's invite finds bob busy;
	// then dave answers an invite as busy himself.
	busyCall := inv(bob, signaling.InviteRequest{}, "carol")
	accept(carol, busyCall)
	call = inv(alice, signaling.InviteRequest{}, "bob")
	ended(alice, call, "noAnswer")
	call = inv(alice, signaling.InviteRequest{}, "dave")
	waitMatch(t, dave, signaling.TypeIncomingCall, func(e *signaling.IncomingCall) bool { return e.CallID == call })
	mustOK(t, dave.Reject(ctx(t), call, "busy", ""))
	ended(alice, call, "noAnswer")

	// Kick-out, then leave: bob removes carol, then leaves an empty call.
	mustOK(t, bob.Remove(ctx(t), busyCall, "carol"))
	waitMatch(t, carol, signaling.TypeRemoved, func(e *signaling.Removed) bool { return e.CallID == busyCall })
	mustOK(t, bob.Leave(ctx(t), busyCall))

	// endCallWhenInitiatorLeave, with a member and a waiting invitee left.
	call = inv(alice, signaling.InviteRequest{Type: "voice", CallConfig: &signaling.CallConfig{EndCallWhenInitiatorLeave: client.Bool(true)}},
		"bob", "carol")
	accept(bob, call)
	waitGauges(t, reg, map[string]float64{"ringsfu_calls": 1, "ringsfu_members": 2, "ringsfu_invitations_waiting": 1})
	mustOK(t, alice.Leave(ctx(t), call))
	ended(bob, call, "initiatorLeft")

	// Leave: two members leave one after the other.
	call = inv(carol, signaling.InviteRequest{}, "dave")
	accept(dave, call)
	mustOK(t, dave.Leave(ctx(t), call))
	mustOK(t, carol.Leave(ctx(t), call))

	// Group call whose ring times out for everyone.
	call = inv(bob, signaling.InviteRequest{TimeoutSeconds: one}, "carol", "dave")
	ended(bob, call, "noAnswer")

	// Disconnect with grace expiry: dave's connection drops mid-call and
	// never resumes; carol stays alone and then leaves.
	call = inv(carol, signaling.InviteRequest{}, "dave")
	accept(dave, call)
	dave.Drop()
	waitMatch(t, carol, signaling.TypeUserLeft, func(e *signaling.UserLeft) bool {
		return e.CallID == call && e.Reason == "disconnected"
	})
	mustOK(t, carol.Leave(ctx(t), call))

	waitGauges(t, reg, map[string]float64{"ringsfu_calls": 0, "ringsfu_members": 0, "ringsfu_invitations_waiting": 0,
		"ringsfu_inviters": 0, "ringsfu_sessions": 3, "ringsfu_connections": 3})
	for _, c := range []*client.Client{alice, bob, carol} {
		c.Drop()
	}
	waitGauges(t, reg, zeroGauges())
}
