package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// apiCall sends one server API request and decodes the JSON answer.
func apiCall(t *testing.T, addr, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// serverToken mints a dev-mode server token.
func serverToken(t *testing.T, ttl time.Duration, now time.Time) string {
	t.Helper()
	tok, err := signaling.MintServer(devAppID, devSecret, ttl, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// errCode returns the error code of an API error body.
func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAPIAuthentication(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	good := serverToken(t, time.Hour, time.Time{})
	expired := serverToken(t, time.Minute, time.Now().Add(-time.Hour))
	user, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := signaling.MintServer(devAppID, "not-the-secret", time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	otherApp, err := signaling.MintServer("other", devSecret, time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"app": devAppID, "role": "server",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/api/calls", "/v1/api/calls/x", "/v1/api/users/alice/presence", "/v1/api/users/alice/history",
		"/v1/api/history/calls", "/v1/api/history/calls/x"} {
		for _, c := range []struct {
			name, token string
			status      int
			code        string
		}{
			{"no token", "", 401, "unauthorized"}, {"expired", expired, 401, "unauthorized"}, {"forged", forged, 401, "unauthorized"},
			{"other app", otherApp, 401, "unauthorized"}, {"alg none", none, 401, "unauthorized"}, {"garbage", "abc.def.ghi", 401, "unauthorized"},
			{"user token", user, 403, "not_permitted"},
		} {
			st, body := apiCall(t, s.addr, c.token, "GET", path, nil)
			if st != c.status || errCode(body) != c.code {
				t.Errorf("GET %s with %s: %d %v, want %d %s", path, c.name, st, body, c.status, c.code)
			}
		}
		st, body := apiCall(t, s.addr, good, "GET", path, nil)
		if st != 200 && !(strings.HasSuffix(path, "/x") && st == 404) {
			t.Errorf("GET %s with a server token: %d %v", path, st, body)
		}
	}
	// The document needs no token.
	st, body := apiCall(t, s.addr, "", "GET", "/v1/api/openapi.json", nil)
	if st != 200 || body["openapi"] == nil {
		t.Fatalf("openapi.json: %d", st)
	}
	// A server token cannot sign in as a user.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Dial(ctx, client.Config{URL: "ws://" + s.addr + "/v1/signal", Token: good, DeviceID: "x"}); client.Code(err) != signaling.CodeUnauthorized {
		t.Fatalf("hello with a server token: %v", err)
	}
	// Tokens never reach the log.
	for _, l := range s.lines() {
		b, _ := json.Marshal(l)
		if strings.Contains(string(b), good[len(good)-20:]) || strings.Contains(string(b), user[len(user)-20:]) {
			t.Fatalf("a token is in the log: %s", b)
		}
	}
	// Rate limit per token: a burst past the limit gets 429, another
	// token is unaffected.
	limited := false
	for i := 0; i < 400 && !limited; i++ {
		st, body := apiCall(t, s.addr, good, "GET", "/v1/api/users/alice/presence", nil)
		limited = st == 429 && errCode(body) == "rate_limited"
	}
	if !limited {
		t.Fatal("400 requests at once were never rate-limited")
	}
	if st, _ := apiCall(t, s.addr, serverToken(t, 2*time.Hour, time.Time{}), "GET", "/v1/api/users/alice/presence", nil); st != 200 {
		t.Fatalf("another token after the first was limited: %d", st)
	}
}

// waitEvent waits for an event of typ on c that matches.
func waitEvent[T any](ctx context.Context, t *testing.T, c *client.Client, typ string, match func(*T) bool) *T {
	t.Helper()
	ev, err := c.WaitFor(ctx, typ, func(e client.Event) bool { return match == nil || match(e.Data.(*T)) })
	if err != nil {
		t.Fatalf("waiting for %s: %v", typ, err)
	}
	return ev.Data.(*T)
}

func TestAPIControlsCalls(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	tok := serverToken(t, time.Hour, time.Time{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	bob := dialAs(ctx, t, s.addr, "bob", "b1")
	carol := dialAs(ctx, t, s.addr, "carol", "c1")
	dave := dialAs(ctx, t, s.addr, "dave", "d1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: "api-call",
		Invitees: []signaling.User{{ID: "bob"}, {ID: "carol"}, {ID: "dave"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bob, carol} {
		if _, err := c.Accept(ctx, res.CallID, ""); err != nil {
			t.Fatal(err)
		}
	}
	// dave stays ringing.

	st, body := apiCall(t, s.addr, tok, "GET", "/v1/api/calls", nil)
	calls, _ := body["calls"].([]any)
	if st != 200 || len(calls) != 1 {
		t.Fatalf("list: %d %v", st, body)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/calls/api-call", nil)
	media, _ := body["media"].(map[string]any)
	if st != 200 || body["callID"] != "api-call" || media["members"] != float64(3) || len(body["invitees"].([]any)) != 3 {
		t.Fatalf("get: %d %v", st, body)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/users/dave/presence", nil)
	if st != 200 || body["busy"] != true || body["state"] != "ringing" || body["callID"] != "api-call" || body["online"] != true {
		t.Fatalf("dave's presence: %v", body)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/users/bob/presence", nil)
	if st != 200 || body["state"] != "inCall" || len(body["devices"].([]any)) != 1 {
		t.Fatalf("bob's presence: %v", body)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/users/nobody/presence", nil)
	if st != 200 || body["online"] != false || body["busy"] != false {
		t.Fatalf("nobody's presence: %v", body)
	}

	// Remote mute: bob's microphone off, enforced; everyone sees it.
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/device", map[string]any{"userID": "bob", "microphone": false}); st != 200 {
		t.Fatalf("mute: %d %v", st, body)
	}
	dc := waitEvent[signaling.DeviceControl](ctx, t, bob, signaling.TypeDeviceControlled, nil)
	if dc.Microphone == nil || *dc.Microphone || dc.By.ID != "" || dc.CallID != "api-call" {
		t.Fatalf("deviceControlled: %+v", dc)
	}
	waitEvent[signaling.DeviceState](ctx, t, alice, signaling.TypeDeviceState, func(d *signaling.DeviceState) bool {
		return d.UserID == "bob" && !d.Microphone
	})

	// Kick-out: carol is removed.
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/remove", map[string]any{"userIDs": []string{"carol"}}); st != 200 {
		t.Fatalf("remove: %d %v", st, body)
	}
	waitEvent[signaling.Removed](ctx, t, carol, signaling.TypeRemoved, nil)
	waitEvent[signaling.UserLeft](ctx, t, alice, signaling.TypeUserLeft, func(u *signaling.UserLeft) bool {
		return u.User.ID == "carol" && u.Reason == "removed"
	})
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/remove", map[string]any{"userIDs": []string{"carol"}}); st != 404 || errCode(body) != "not_found" {
		t.Fatalf("remove again: %d %v", st, body)
	}
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/remove", map[string]any{"userIDs": "carol"}); st != 400 || errCode(body) != "bad_request" {
		t.Fatalf("remove with a bad body: %d %v", st, body)
	}

	// End: members get callEnded endedByServer, dave stops ringing.
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/end", nil); st != 200 {
		t.Fatalf("end: %d %v", st, body)
	}
	for _, c := range []*client.Client{alice, bob} {
		ce := waitEvent[signaling.CallEnded](ctx, t, c, signaling.TypeCallEnded, nil)
		if ce.Reason != "endedByServer" || ce.CallID != "api-call" {
			t.Fatalf("callEnded: %+v", ce)
		}
	}
	waitEvent[signaling.IncomingCallCanceled](ctx, t, dave, signaling.TypeIncomingCallCanceled, nil)
	if st, body := apiCall(t, s.addr, tok, "GET", "/v1/api/calls/api-call", nil); st != 404 || errCode(body) != "not_found" {
		t.Fatalf("get after end: %d %v", st, body)
	}
	if st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls/api-call/end", nil); st != 404 {
		t.Fatalf("end again: %d %v", st, body)
	}

	// History through the API.
	var rec map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, rec = apiCall(t, s.addr, tok, "GET", "/v1/api/history/calls/api-call", nil); st == 200 && rec["endReason"] == "endedByServer" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rec["endReason"] != "endedByServer" || len(rec["members"].([]any)) != 3 || len(rec["invitees"].([]any)) != 3 {
		t.Fatalf("call record: %v", rec)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/users/dave/history?outcome=missed", nil)
	if es, _ := body["entries"].([]any); st != 200 || len(es) != 1 {
		t.Fatalf("dave's missed: %d %v", st, body)
	}
	st, body = apiCall(t, s.addr, tok, "GET", "/v1/api/history/calls?user=carol&limit=10", nil)
	if cs, _ := body["calls"].([]any); st != 200 || len(cs) != 1 {
		t.Fatalf("carol's records: %d %v", st, body)
	}
	if st, body := apiCall(t, s.addr, tok, "GET", "/v1/api/history/calls?from=yesterday", nil); st != 400 {
		t.Fatalf("bad from: %d %v", st, body)
	}
}

// TestAPIStartsCallOnBehalf starts a call as the doctor: the patient
// rings with the doctor as caller, the doctor's device joins and takes
// the membership over, and the patient's answer reaches that device.
func TestAPIStartsCallOnBehalf(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	tok := serverToken(t, time.Hour, time.Time{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	patient := dialAs(ctx, t, s.addr, "patient", "p1")
	st, body := apiCall(t, s.addr, tok, "POST", "/v1/api/calls", map[string]any{
		"inviter": map[string]string{"id": "doctor", "name": "Dr Who"}, "invitees": []map[string]string{{"id": "patient"}},
		"type": "video", "callID": "appointment-1", "customData": "room 4", "timeoutSeconds": 30})
	if st != 200 || body["callID"] != "appointment-1" {
		t.Fatalf("start: %d %v", st, body)
	}
	ic, err := patient.IncomingCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ic.Caller.ID != "doctor" || ic.Caller.Name != "Dr Who" || ic.CustomData != "room 4" || ic.CallID != "appointment-1" {
		t.Fatalf("incomingCall: %+v", ic)
	}
	if _, body := apiCall(t, s.addr, tok, "GET", "/v1/api/users/doctor/presence", nil); body["state"] != "inCall" || body["online"] != false {
		t.Fatalf("doctor's presence before signing in: %v", body)
	}
	doctor := dialAs(ctx, t, s.addr, "doctor", "d1")
	cs, err := doctor.Join(ctx, signaling.JoinRequest{CallID: "appointment-1"})
	if err != nil || cs.Initiator.ID != "doctor" || len(cs.Members) != 1 {
		t.Fatalf("doctor's join: %+v, %v", cs, err)
	}
	if _, err := patient.Accept(ctx, "appointment-1", ""); err != nil {
		t.Fatal(err)
	}
	waitEvent[signaling.OutgoingCallAnswer](ctx, t, doctor, signaling.TypeOutgoingCallAccepted, nil)
	// A second device of the doctor is refused as for any held call.
	doctor2 := dialAs(ctx, t, s.addr, "doctor", "d2")
	if _, err := doctor2.Join(ctx, signaling.JoinRequest{CallID: "appointment-1"}); client.Code(err) != signaling.CodeConflict {
		t.Fatalf("second device: %v", err)
	}
	// The inviter busy in a call: 409 busy.
	st, body = apiCall(t, s.addr, tok, "POST", "/v1/api/calls", map[string]any{
		"inviter": map[string]string{"id": "doctor"}, "invitees": []map[string]string{{"id": "someone"}}, "type": "voice"})
	if st != 409 || errCode(body) != "conflict" && errCode(body) != "busy" {
		t.Fatalf("start while busy: %d %v", st, body)
	}
	st, body = apiCall(t, s.addr, tok, "POST", "/v1/api/calls", map[string]any{"inviter": map[string]string{"id": "x"}, "type": "voice"})
	if st != 400 {
		t.Fatalf("start without invitees: %d %v", st, body)
	}
}
