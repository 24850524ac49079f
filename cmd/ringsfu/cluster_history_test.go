package main

import (
	"context"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/room/history/pgtest"
	"github.com/ringsfu/ringsfu/signaling"
)

// TestClusterHistoryOnPostgres runs two nodes on one Redis and one real
// PostgreSQL: a call owned by node A with the callee on node B is recorded
// once, and both users read it from either node, over signaling and
// through the server API.
func TestClusterHistoryOnPostgres(t *testing.T) {
	rs := redistest.Start(t)
	pg := pgtest.Start(t)
	a := startServe(t, "--redis-url", rs.URL(0), "--node-id", "A", "--database-url", pg.URL(), "--drain-delay", "0").addr
	b := startServe(t, "--redis-url", rs.URL(0), "--node-id", "B", "--database-url", pg.URL(), "--drain-delay", "0").addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	timeout := 1
	// Missed: bob on B lets a ring from A time out.
	if _, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: "cl-missed", TimeoutSeconds: &timeout,
		Invitees: []signaling.User{{ID: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitFor(ctx, signaling.TypeIncomingCallTimeout, nil); err != nil {
		t.Fatal(err)
	}
	waitEvent[signaling.CallEnded](ctx, t, alice, signaling.TypeCallEnded, func(e *signaling.CallEnded) bool { return e.CallID == "cl-missed" })
	// The caller's slot is released in Redis just after the event.
	tok := serverToken(t, time.Hour, time.Time{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, body := apiCall(t, a, tok, "GET", "/v1/api/users/alice/presence", nil); body["busy"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("alice still busy after the missed call ended")
		}
	}
	// Answered: the accept on B is relayed to the owner A.
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: "cl-answered", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	if err := bob.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	if err := alice.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	waitHistory(ctx, t, "bob on B", bob, "cl-answered:incoming/answered cl-missed:incoming/missed")
	waitHistory(ctx, t, "alice on A", alice, "cl-answered:outgoing/answered cl-missed:outgoing/noAnswer")
	// Bob's other device signs in on A: its hello counts the missed call.
	bob2 := dialAs(ctx, t, a, "bob", "b2")
	if n := bob2.Hello().MissedCalls; n != 1 {
		t.Fatalf("bob's hello on A: missedCalls %d, want 1", n)
	}
	// The server API on either node reads the same records.
	for _, node := range []string{a, b} {
		st, body := apiCall(t, node, tok, "GET", "/v1/api/history/calls?user=bob", nil)
		calls, _ := body["calls"].([]any)
		if st != 200 || len(calls) != 2 {
			t.Fatalf("records on %s: %d %v", node, st, body)
		}
	}
	st, rec := apiCall(t, b, tok, "GET", "/v1/api/history/calls/cl-answered", nil)
	if st != 200 || rec["endReason"] != "empty" || len(rec["members"].([]any)) != 2 {
		t.Fatalf("record via B: %d %v", st, rec)
	}
	// Presence's busy state is cluster-wide.
	if _, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: "cl-ring", Invitees: []signaling.User{{ID: "carol"}}}); err != nil {
		t.Fatal(err)
	}
	if _, body := apiCall(t, b, tok, "GET", "/v1/api/users/alice/presence", nil); body["state"] != "inCall" || body["callID"] != "cl-ring" {
		t.Fatalf("alice's presence asked on B: %v", body)
	}
}
