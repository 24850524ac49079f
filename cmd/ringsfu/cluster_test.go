package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// dialAs signs user in on the node at addr (dev mode's identity).
// inviteAccepted has alice invite bob to a call of type typ and bob
// accept it, and returns the invitation's result.
func inviteAccepted(ctx context.Context, t *testing.T, alice, bob *client.Client, typ string) signaling.InviteResult {
	t.Helper()
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: typ, Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	return res
}

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
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
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

	// /metrics names the node and counts the cluster.
	resp, err := http.Get("http://" + b + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ringsfu_cluster_node_info{node_id="B"} 1`, "ringsfu_cluster_nodes 2",
		"ringsfu_cluster_calls_owned ", "ringsfu_cluster_redis_rtt_seconds ",
		`ringsfu_relayed_messages_total{direction="in"}`, `ringsfu_relayed_messages_total{direction="out"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("B's /metrics lacks %q", want)
		}
	}
}

// TestClusterDevicesPendingGlareAcrossNodes spreads one scenario family
// over three nodes: two devices of one user on different nodes ring
// together and the one that does not answer is told; pendingInvitations
// are listed on connect to a node that does not own the call; glare
// between callers on different nodes merges into one call; setDevice from
// a non-owner node reaches the other members, and a remove reaches the
// removed member on another node.
func TestClusterDevicesPendingGlareAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	n1 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N1").addr
	n2 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N2").addr
	n3 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N3").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Multi-device: bob's phone on N2, bob's laptop on N3; alice on N1.
	alice := dialAs(ctx, t, n1, "alice", "a1")
	phone := dialAs(ctx, t, n2, "bob", "phone")
	laptop := dialAs(ctx, t, n3, "bob", "laptop")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video",
		CallConfig: &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)},
		Invitees:   []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client.Client{"phone": phone, "laptop": laptop} {
		if _, err := c.IncomingCall(ctx); err != nil {
			t.Fatalf("bob's %s: no incomingCall: %v", name, err)
		}
	}
	if _, err := laptop.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	ae, err := client.WaitType[signaling.IncomingCallAnsweredElsewhere](ctx, phone, signaling.TypeIncomingCallAnsweredElsewhere)
	if err != nil || ae.Answer != "accepted" || ae.CallID != res.CallID {
		t.Fatalf("phone on N2: answeredElsewhere = %+v %v", ae, err)
	}

	// pendingInvitations: the laptop (member, on N3) invites carol, who is
	// offline; she then connects to N2, neither the owner's node nor the
	// inviter's.
	if _, err := laptop.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: res.CallID,
		Invitees: []signaling.User{{ID: "carol"}}}); err != nil {
		t.Fatalf("invite in calling from N3: %v", err)
	}
	carol := dialAs(ctx, t, n2, "carol", "c1")
	pend := carol.Hello().PendingInvitations
	if len(pend) != 1 || pend[0].CallID != res.CallID || pend[0].Caller.ID != "bob" {
		t.Fatalf("carol's pendingInvitations on N2: %+v", pend)
	}
	if _, err := carol.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}

	// setDevice from N3 is relayed to the owner (N1) and broadcast.
	if err := laptop.SetDevice(ctx, signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(false)}); err != nil {
		t.Fatalf("setDevice from N3: %v", err)
	}
	for name, c := range map[string]*client.Client{"alice (N1)": alice, "carol (N2)": carol} {
		ds, err := client.WaitType[signaling.DeviceState](ctx, c, signaling.TypeDeviceState)
		if err != nil || ds.UserID != "bob" || ds.Camera {
			t.Fatalf("%s: deviceState = %+v %v", name, ds, err)
		}
	}

	// Remove: alice (the initiator) removes carol; carol (N2) is told.
	if err := alice.Remove(ctx, res.CallID, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.WaitType[signaling.Removed](ctx, carol, signaling.TypeRemoved); err != nil {
		t.Fatalf("carol on N2: no removed: %v", err)
	}

	// Glare across nodes: dave (N1) rings erin (N3) while erin rings dave.
	dave := dialAs(ctx, t, n1, "dave", "d1")
	erin := dialAs(ctx, t, n3, "erin", "e1")
	r1, err := dave.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "erin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := erin.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	r2, err := erin.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "dave"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Merged || r2.CallID != r1.CallID {
		t.Fatalf("glare across nodes: %+v, want merged into %s", r2, r1.CallID)
	}
	if _, err := client.WaitType[signaling.OutgoingCallAnswer](ctx, dave, signaling.TypeOutgoingCallAccepted); err != nil {
		t.Fatalf("dave: no outgoingCallAccepted after glare: %v", err)
	}
}

// TestClusterRedisOutage stops redis-server under two nodes: a request
// that needs the cluster gets `unavailable` quickly instead of hanging, and
// once redis-server is back (empty) the nodes re-sync without a restart:
// a new cross-node call works again.
func TestClusterRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	srv.Stop()
	start := time.Now()
	_, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
	if client.Code(err) != signaling.CodeUnavailable {
		t.Fatalf("invite during the outage: %v, want unavailable", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("unavailable after %v: too slow", el)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The restarted Redis is empty: each node notices (its heartbeat key is
	// gone, or its heartbeat failed) and writes its sessions' presence again.
	probe, err := cluster.Open(cluster.Config{URL: srv.URL(0), NodeID: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		devs, err := probe.DeviceNodes(ctx, "bob")
		if err == nil && devs["b1"] == "B" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's presence not re-synced after the restart: %v %v", devs, err)
		}
		time.Sleep(50 * time.Millisecond) // polling for the re-sync, with a deadline
	}
	var res signaling.InviteResult
	for {
		res, err = alice.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invite after Redis came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling for recovery, with a deadline
	}
	ic, err := bob.IncomingCall(ctx)
	if err != nil || ic.CallID != res.CallID {
		t.Fatalf("bob (connected to B through the outage): incomingCall %+v %v", ic, err)
	}
	// go-redis fails new dials fast for up to a second after a dial error
	// (its pool probes once a second), so a request right after the
	// restart may still get unavailable, which clients retry.
	for {
		_, err := bob.Accept(ctx, res.CallID, "")
		if err == nil {
			break
		}
		if client.Code(err) != signaling.CodeUnavailable || time.Now().After(deadline) {
			t.Fatalf("accept after the outage: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling for recovery, with a deadline
	}
}

// TestClusterShutdownHandsCallsOver stops the owner of a call (as SIGTERM
// does): its WebSockets close with 1001, the other node adopts the call
// (same call id, members, waiting invitee) without waiting for a lease to
// expire, and the devices go on there: the initiator reconnects to the
// other node and finds its call, and the invitee accepts there.
func TestClusterShutdownHandsCallsOver(t *testing.T) {
	srv := redistest.Start(t)
	sa := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A", "--drain-delay", "0")
	a, stopA, doneA := sa.addr, sa.stop, sa.done
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stopA()
	select {
	case <-alice.Done():
		if alice.CloseCode() != 1001 {
			t.Fatalf("alice closed with %d, want 1001", alice.CloseCode())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("alice's WebSocket not closed")
	}
	if err := <-doneA; err != nil {
		t.Fatalf("node A: %v", err)
	}
	// Alice reconnects to B with resume: the same session, and her call is
	// there, adopted from A.
	sid := alice.SessionID()
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	// She reconnects at once, as a client does on 1001: the hello result
	// already carries her call (no polling: a resume that found no call
	// would tell the client its call was gone).
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + b + "/v1/signal", Token: tok, DeviceID: "a1", Resume: sid})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if h := c.Hello(); !h.Resumed || h.SessionID != sid {
		t.Fatalf("resume on B after A left: resumed=%v session %s, want %s", h.Resumed, h.SessionID, sid)
	}
	st := c.Hello().Call
	if st == nil {
		t.Fatal("alice resumed on B without her call: it was not handed over yet")
	}
	t.Logf("call on B %v after A was stopped", time.Since(start))
	if st.CallID != res.CallID || st.Initiator.ID != "alice" || len(st.Invitees) != 1 || st.Invitees[0].State != "waiting" {
		t.Fatalf("call state on B: %+v", st)
	}
	acc, err := bob.Accept(ctx, res.CallID, "")
	if err != nil {
		t.Fatalf("accept after the hand-over: %v", err)
	}
	if len(acc.Members) != 2 {
		t.Fatalf("members after accept: %+v", acc.Members)
	}
}

// TestClusterSessionEndReachesOwner: a member connected to node B, in a
// call node A owns, loses its connection and does not resume; when its
// grace ends on B, A ends its membership as "disconnected".
func TestClusterSessionEndReachesOwner(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A", "--resume-grace", "1s").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B", "--resume-grace", "1s").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	inviteAccepted(ctx, t, alice, bob, "video")
	bob.Drop()
	ul, err := client.WaitType[signaling.UserLeft](ctx, alice, signaling.TypeUserLeft)
	if err != nil {
		t.Fatalf("alice: no userLeft after bob's grace ended on B: %v", err)
	}
	if ul.User.ID != "bob" || ul.Reason != "disconnected" {
		t.Fatalf("userLeft: %+v", ul)
	}
}

// TestClusterResumeOnAnotherNode: a member's connection to node B drops
// and the device signs in again on node C with resume, as a client behind
// a round-robin load balancer does: it gets the same session back
// (resumed), the call never saw it leave — not even after B's grace would
// have ended — and a live connection on B is closed with 4009 when the
// device signs in elsewhere.
func TestClusterResumeOnAnotherNode(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A", "--resume-grace", "1s").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B", "--resume-grace", "1s").addr
	c := startServe(t, "--redis-url", srv.URL(0), "--node-id", "C", "--resume-grace", "1s").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	res := inviteAccepted(ctx, t, alice, bob, "video")
	sid := bob.SessionID()
	bob.Drop()
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	bob2, err := client.Dial(ctx, client.Config{URL: "ws://" + c + "/v1/signal", Token: tok, DeviceID: "b1", Resume: sid})
	if err != nil {
		t.Fatal(err)
	}
	defer bob2.Close()
	h := bob2.Hello()
	if !h.Resumed || h.SessionID != sid || h.Call == nil || h.Call.CallID != res.CallID {
		t.Fatalf("resume on C: resumed=%v session=%s (was %s) call=%+v", h.Resumed, h.SessionID, sid, h.Call)
	}
	// Past B's grace: bob is still a member (no userLeft), and requests
	// from C reach the call.
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
	defer wcancel()
	if _, err := client.WaitType[signaling.UserLeft](wctx, alice, signaling.TypeUserLeft); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("alice saw bob leave after his resume on another node: %v", err)
	}
	if err := bob2.SetDevice(ctx, signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(false)}); err != nil {
		t.Fatalf("setDevice from C after resume: %v", err)
	}
	// A live connection elsewhere is taken over with 4009: bob's device
	// signs in on A while connected to C.
	bob3 := dialAs(ctx, t, a, "bob", "b1")
	if !bob3.Hello().Resumed || bob3.Hello().SessionID != sid {
		t.Fatalf("take-over on A: %+v", bob3.Hello())
	}
	select {
	case <-bob2.Done():
		if bob2.CloseCode() != signaling.CloseSessionTakenBy {
			t.Fatalf("the connection on C closed with %d, want 4009", bob2.CloseCode())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection on C was not closed")
	}
	if err := bob3.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	ul, err := client.WaitType[signaling.UserLeft](ctx, alice, signaling.TypeUserLeft)
	if err != nil || ul.Reason != "left" {
		t.Fatalf("userLeft = %+v %v, want left", ul, err)
	}
}

// TestClusterInitiatorLeaveAndDeclineAcrossNodes: endCallWhenInitiatorLeave
// ends the call for members on other nodes and cancels waiting invitees
// there; a decline from another node reaches the inviter.
func TestClusterInitiatorLeaveAndDeclineAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	n1 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N1").addr
	n2 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N2").addr
	n3 := startServe(t, "--redis-url", srv.URL(0), "--node-id", "N3").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, n1, "alice", "a1")
	bob := dialAs(ctx, t, n2, "bob", "b1")
	carol := dialAs(ctx, t, n3, "carol", "c1")
	dave := dialAs(ctx, t, n3, "dave", "d1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video",
		CallConfig: &signaling.CallConfig{EndCallWhenInitiatorLeave: client.Bool(true)},
		Invitees:   []signaling.User{{ID: "bob"}, {ID: "carol"}, {ID: "dave"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bob, carol, dave} {
		if _, err := c.IncomingCall(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := dave.Reject(ctx, res.CallID, "", ""); err != nil {
		t.Fatalf("reject from N3: %v", err)
	}
	if _, err := client.WaitType[signaling.OutgoingCallAnswer](ctx, alice, signaling.TypeOutgoingCallDeclined); err != nil {
		t.Fatalf("alice: no outgoingCallDeclined: %v", err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	if err := alice.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	ce, err := client.WaitType[signaling.CallEnded](ctx, bob, signaling.TypeCallEnded)
	if err != nil || ce.Reason != "initiatorLeft" {
		t.Fatalf("bob on N2: callEnded = %+v %v", ce, err)
	}
	cc, err := client.WaitType[signaling.IncomingCallCanceled](ctx, carol, signaling.TypeIncomingCallCanceled)
	if err != nil || cc.Reason != "callEnded" {
		t.Fatalf("carol on N3: incomingCallCanceled = %+v %v", cc, err)
	}
	// Everyone is free again, across nodes: bob can start a call with carol.
	if _, err := bob.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "carol"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.IncomingCall(ctx); err != nil {
		t.Fatalf("carol not rung after the first call ended: %v", err)
	}
}

// TestClusterConcurrentCreateSameCall: users on two nodes join the same new
// call id at the same moment, as on one node: whichever node creates the
// call, the other's join lands in it (never unavailable), and the call has
// both members. Twenty calls race at once so that creations do collide.
func TestClusterConcurrentCreateSameCall(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const calls = 20
	type joined struct {
		call string
		who  string
		st   signaling.CallState
		err  error
	}
	var clients [calls][2]*client.Client
	for i := range calls {
		clients[i][0] = dialAs(ctx, t, a, fmt.Sprintf("u%d", i), "d")
		clients[i][1] = dialAs(ctx, t, b, fmt.Sprintf("v%d", i), "d")
	}
	out := make(chan joined, 2*calls)
	start := make(chan struct{})
	for i := range calls {
		for j, c := range clients[i] {
			go func() {
				<-start
				call := fmt.Sprintf("same%d", i)
				st, err := c.Join(ctx, signaling.JoinRequest{CallID: call, Type: "voice"})
				out <- joined{call: call, who: fmt.Sprintf("%d/%d", i, j), st: st, err: err}
			}()
		}
	}
	close(start)
	members := map[string]int{}
	for range 2 * calls {
		j := <-out
		if j.err != nil {
			t.Errorf("join %s by %s: %v", j.call, j.who, j.err)
			continue
		}
		members[j.call] = max(members[j.call], len(j.st.Members))
	}
	for i := range calls {
		if n := members[fmt.Sprintf("same%d", i)]; n != 2 {
			t.Errorf("call same%d: %d members seen by the later join, want 2", i, n)
		}
	}
}

// TestClusterResumeAfterAdoptionGrace: the owner of a call stops; the
// other node adopts the call and gives its absent member the resume grace.
// When that member comes back after the grace, its membership has ended
// (the others saw it leave), so the resume must not report the session as
// kept with its call gone: as on one node, a late resume is a new session.
func TestClusterResumeAfterAdoptionGrace(t *testing.T) {
	srv := redistest.Start(t)
	sa := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A", "--drain-delay", "0", "--resume-grace", "1s")
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B", "--resume-grace", "1s").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, sa.addr, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	inviteAccepted(ctx, t, alice, bob, "voice")
	sid := alice.SessionID()
	sa.stop()
	if err := <-sa.done; err != nil {
		t.Fatalf("node A: %v", err)
	}
	ul, err := client.WaitType[signaling.UserLeft](ctx, bob, signaling.TypeUserLeft)
	if err != nil || ul.User.ID != "alice" || ul.Reason != "disconnected" {
		t.Fatalf("bob: userLeft = %+v %v, want alice disconnected after the grace", ul, err)
	}
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + b + "/v1/signal", Token: tok, DeviceID: "a1", Resume: sid})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if h := c.Hello(); h.Resumed {
		t.Fatalf("resume after the grace: resumed=%v call=%+v, want a new session", h.Resumed, h.Call)
	}
}

// TestClusterTokenNamesAcrossNodes: a user's own token name beats names
// inviters supply, whichever node the user signed in to: bob signs in on
// B as "Bob B."; alice, on A (the call's owner), invites him as "Bobby"
// and sees "Bob B.", as on one node.
func TestClusterTokenNamesAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "bob", Name: "Bob B."})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := client.Dial(ctx, client.Config{URL: "ws://" + b + "/v1/signal", Token: tok, DeviceID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob", Name: "Bobby"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Invitees[0].User.Name; n != "Bob B." {
		t.Fatalf("invitee name on the owner: %q, want bob's token name", n)
	}
}
