package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// dialAs signs user in on the node at addr (dev mode's identity).
func dialAs(ctx context.Context, t *testing.T, addr, user, device string) *client.Client {
	t.Helper()
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr + "/v1/signal", Token: tok, DeviceID: device})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClusterInviteAcrossNodes runs two nodes in-process on one private
// redis-server: the caller is on node A, the callee on node B. The invite
// rings on B, the accept on B is relayed to A (the owner), both become
// members, the busy index holds across nodes, and a ring timeout fires
// once, on time, for a callee on a third connection.
func TestClusterInviteAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	a, _, _ := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A")
	b, _, _ := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invitees) != 1 || res.Invitees[0].State != "waiting" {
		t.Fatalf("invite result: %+v", res)
	}
	ic, err := bob.IncomingCall(ctx)
	if err != nil {
		t.Fatalf("bob on B got no incomingCall: %v", err)
	}
	if ic.CallID != res.CallID || ic.Caller.ID != "alice" {
		t.Fatalf("incomingCall: %+v", ic)
	}
	st, err := bob.Accept(ctx, res.CallID, "")
	if err != nil {
		t.Fatalf("accept relayed to A: %v", err)
	}
	if len(st.Members) != 2 {
		t.Fatalf("call state after accept: %+v", st)
	}
	if _, err := client.WaitType[signaling.OutgoingCallAnswer](ctx, alice, signaling.TypeOutgoingCallAccepted); err != nil {
		t.Fatalf("alice: no outgoingCallAccepted: %v", err)
	}
	if _, err := client.WaitType[signaling.UserJoined](ctx, alice, signaling.TypeUserJoined); err != nil {
		t.Fatalf("alice: no userJoined: %v", err)
	}

	// Busy across nodes: carol, on B, calls alice (member on A) and bob
	// (member, connected to B, call owned by A).
	carol := dialAs(ctx, t, b, "carol", "c1")
	res2, err := carol.Invite(ctx, signaling.InviteRequest{Type: "voice",
		Invitees: []signaling.User{{ID: "alice"}, {ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res2.Invitees {
		if o.State != "busy" {
			t.Errorf("%s: %s, want busy across nodes", o.User.ID, o.State)
		}
	}

	// Invite in calling is refused by policy on the owner, relayed from B.
	if _, err := bob.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: res.CallID,
		Invitees: []signaling.User{{ID: "dave"}}}); client.Code(err) != signaling.CodeNotPermitted {
		t.Fatalf("bob's invite in calling from B: %v, want not_permitted", err)
	}

	// Ring timeout across nodes: alice (node A) rings erin (node B) in a
	// new call; it times out once, within ±1 s.
	erin := dialAs(ctx, t, b, "erin", "e1")
	frank := dialAs(ctx, t, a, "frank", "f1")
	timeout := 2
	start := time.Now()
	res3, err := frank.Invite(ctx, signaling.InviteRequest{Type: "voice", TimeoutSeconds: &timeout,
		Invitees: []signaling.User{{ID: "erin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := erin.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client.WaitType[signaling.IncomingCallTimeout](ctx, erin, signaling.TypeIncomingCallTimeout); err != nil {
		t.Fatalf("erin on B: no incomingCallTimeout: %v", err)
	}
	ot, err := client.WaitType[signaling.OutgoingCallTimeout](ctx, frank, signaling.TypeOutgoingCallTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 2*time.Second-100*time.Millisecond || el > 3*time.Second {
		t.Fatalf("ring timeout after %v, want 2 s ± 1 s", el)
	}
	if ot.CallID != res3.CallID {
		t.Fatalf("timeout for %s, want %s", ot.CallID, res3.CallID)
	}
	// Once: no second timeout arrives within a few sweeps.
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer wcancel()
	if _, err := client.WaitType[signaling.OutgoingCallTimeout](wctx, frank, signaling.TypeOutgoingCallTimeout); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second outgoingCallTimeout: %v", err)
	}

	// Leave from B ends bob's membership on A.
	if err := bob.Leave(ctx, res.CallID); err != nil {
		t.Fatalf("leave relayed to A: %v", err)
	}
	if _, err := client.WaitType[signaling.UserLeft](ctx, alice, signaling.TypeUserLeft); err != nil {
		t.Fatalf("alice: no userLeft: %v", err)
	}
}
