package main

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// outcomeList renders a user's history as "callID:direction/outcome"
// sorted by call id.
func outcomeList(es []signaling.HistoryEntry) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.CallID + ":" + e.Direction + "/" + e.Outcome
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// waitHistory polls c's call history until it renders as want.
func waitHistory(ctx context.Context, t *testing.T, name string, c *client.Client, want string) signaling.CallHistoryResult {
	t.Helper()
	var last signaling.CallHistoryResult
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.CallHistory(ctx, 50, "")
		if err != nil {
			t.Fatalf("%s: callHistory: %v", name, err)
		}
		last = res
		if outcomeList(res.Entries) == want {
			return res
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s's history: %q, want %q", name, outcomeList(last.Entries), want)
	return last
}

// TestCallHistoryAfterRealCalls runs real calls through the whole server
// (SQLite under a temp --data-dir) and checks every user's history, the
// missed-call count in the hello result and markMissedSeen.
func TestCallHistoryAfterRealCalls(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	bob1 := dialAs(ctx, t, s.addr, "bob", "b1")
	bob2 := dialAs(ctx, t, s.addr, "bob", "b2")
	carol := dialAs(ctx, t, s.addr, "carol", "c1")
	dave := dialAs(ctx, t, s.addr, "dave", "d1")
	if n := dave.Hello().MissedCalls; n != 0 {
		t.Fatalf("dave's first hello: missedCalls %d", n)
	}
	invite := func(callID string, timeout int, users ...string) {
		t.Helper()
		req := signaling.InviteRequest{Type: "voice", CallID: callID, TimeoutSeconds: &timeout}
		for _, u := range users {
			req.Invitees = append(req.Invitees, signaling.User{ID: u})
		}
		if _, err := alice.Invite(ctx, req); err != nil {
			t.Fatalf("invite %s: %v", callID, err)
		}
	}
	ended := func(c *client.Client, callID string) {
		t.Helper()
		if err := c.Leave(ctx, callID); err != nil {
			t.Fatalf("leave %s: %v", callID, err)
		}
	}

	// 1:1, answered on bob's second device: the first sees it answered
	// elsewhere.
	invite("h-1to1", 30, "bob")
	if _, err := bob1.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob2.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob2.Accept(ctx, "h-1to1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := bob1.WaitFor(ctx, signaling.TypeIncomingCallAnsweredElsewhere, nil); err != nil {
		t.Fatal(err)
	}
	ended(bob2, "h-1to1")
	ended(alice, "h-1to1")

	// Group: bob answers, carol declines, dave lets it time out.
	invite("h-group", 1, "bob", "carol", "dave")
	if _, err := bob1.Accept(ctx, "h-group", ""); err != nil {
		t.Fatal(err)
	}
	if err := carol.Reject(ctx, "h-group", "declined", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := dave.WaitFor(ctx, signaling.TypeIncomingCallTimeout, nil); err != nil {
		t.Fatal(err)
	}
	ended(alice, "h-group")
	ended(bob1, "h-group")

	// Busy: carol rejects as busy.
	invite("h-busy", 30, "carol")
	if err := carol.Reject(ctx, "h-busy", "busy", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.WaitFor(ctx, signaling.TypeCallEnded, func(e client.Event) bool {
		return e.Data.(*signaling.CallEnded).CallID == "h-busy"
	}); err != nil {
		t.Fatal(err)
	}

	// Canceled: alice gives up ringing dave.
	invite("h-cancel", 30, "dave")
	if _, err := dave.WaitFor(ctx, signaling.TypeIncomingCall, nil); err != nil {
		t.Fatal(err)
	}
	if err := alice.Cancel(ctx, "h-cancel", nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := dave.WaitFor(ctx, signaling.TypeIncomingCallCanceled, nil); err != nil {
		t.Fatal(err)
	}

	waitHistory(ctx, t, "alice", alice, "h-1to1:outgoing/answered h-busy:outgoing/busy h-cancel:outgoing/canceled h-group:outgoing/answered")
	res := waitHistory(ctx, t, "bob", bob1, "h-1to1:incoming/answered h-group:incoming/answered")
	for _, e := range res.Entries {
		if e.CallID == "h-1to1" && (len(e.Peers) != 1 || e.Peers[0].ID != "alice" || e.Type != "voice" || e.StartedAt == "") {
			t.Errorf("bob's 1:1 entry: %+v", e)
		}
	}
	waitHistory(ctx, t, "carol", carol, "h-busy:incoming/busy h-group:incoming/declined")
	res = waitHistory(ctx, t, "dave", dave, "h-cancel:incoming/missed h-group:incoming/missed")
	if res.MissedCalls != 2 {
		t.Fatalf("dave's missedCalls in callHistory = %d, want 2", res.MissedCalls)
	}
	for _, e := range res.Entries {
		if e.Seen {
			t.Errorf("dave's missed %s is seen before markMissedSeen", e.CallID)
		}
	}

	// The hello of a new device carries the count; markMissedSeen clears it.
	dave2 := dialAs(ctx, t, s.addr, "dave", "d2")
	if n := dave2.Hello().MissedCalls; n != 2 {
		t.Fatalf("dave's hello: missedCalls %d, want 2", n)
	}
	if n, err := dave2.MarkMissedSeen(ctx); err != nil || n != 0 {
		t.Fatalf("markMissedSeen: %d, %v", n, err)
	}
	dave3 := dialAs(ctx, t, s.addr, "dave", "d3")
	if n := dave3.Hello().MissedCalls; n != 0 {
		t.Fatalf("dave's hello after markMissedSeen: missedCalls %d", n)
	}
	res, err := dave3.CallHistory(ctx, 1, "")
	if err != nil || len(res.Entries) != 1 || !res.Entries[0].Seen || res.NextBefore == "" {
		t.Fatalf("page of 1: %+v, %v", res, err)
	}
	next, err := dave3.CallHistory(ctx, 1, res.NextBefore)
	if err != nil || len(next.Entries) != 1 || next.Entries[0].CallID == res.Entries[0].CallID {
		t.Fatalf("second page: %+v, %v", next, err)
	}
	if _, err := dave3.CallHistory(ctx, 1000, ""); client.Code(err) != signaling.CodeBadRequest {
		t.Fatalf("limit 1000: %v, want bad_request", err)
	}
}
