package main

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// testSubscription returns a Web Push subscription with a fresh P-256 key
// and auth secret, and the private key.
func testSubscription(t *testing.T, endpoint string) (*signaling.PushSubscription, *ecdh.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	return &signaling.PushSubscription{Endpoint: endpoint, Keys: signaling.PushKey{
		P256DH: base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		Auth:   base64.RawURLEncoding.EncodeToString(auth)}}, key, auth
}

// pushList returns userID's registrations through the server API as
// "deviceID/provider/voip" strings, in registration order.
func pushList(t *testing.T, addr, token, user string) []string {
	t.Helper()
	code, body := apiCall(t, addr, token, "GET", "/v1/api/users/"+user+"/push", nil)
	if code != http.StatusOK {
		t.Fatalf("list %s's push registrations: %d %v", user, code, body)
	}
	var out []string
	for _, r := range body["registrations"].([]any) {
		m := r.(map[string]any)
		if _, leaked := m["token"]; leaked {
			t.Fatalf("the API shows the token: %v", m)
		}
		out = append(out, fmt.Sprintf("%s/%s/%v", m["deviceID"], m["provider"], m["voip"]))
	}
	return out
}

// TestPushRegistration registers every kind of push target over signaling
// through the whole server (SQLite), lists and removes them through the
// server API, and checks that bad targets get bad_request.
func TestPushRegistration(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok := serverToken(t, time.Hour, time.Now())
	phone := dialAs(ctx, t, s.addr, "bob", "phone")
	tab := dialAs(ctx, t, s.addr, "bob", "tab")

	voipID, err := phone.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "apns", Token: "a0b1c2d3e4f5", VoIP: true,
		AppID: "com.example.app", Locale: "de-DE"})
	if err != nil || voipID == "" {
		t.Fatalf("register apns: %q %v", voipID, err)
	}
	if _, err := phone.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "fcm", Token: "fcm-token:1", AppID: "com.example.app"}); err != nil {
		t.Fatalf("register fcm: %v", err)
	}
	sub, _, _ := testSubscription(t, "https://push.example/s/1")
	webID, err := tab.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "webpush", Subscription: sub})
	if err != nil {
		t.Fatalf("register webpush: %v", err)
	}
	// The same subscription again (padded keys) is the same registration.
	padded := *sub
	padded.Keys.Auth += "=="
	if again, err := tab.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "webpush", Subscription: &padded}); err != nil || again != webID {
		t.Fatalf("re-register: %q (first %q), %v", again, webID, err)
	}
	want := "[phone/apns/true phone/fcm/false tab/webpush/false]"
	if got := fmt.Sprint(pushList(t, s.addr, tok, "bob")); got != want {
		t.Fatalf("registrations %s, want %s", got, want)
	}

	// Bad targets.
	bad := []signaling.RegisterPushRequest{
		{Provider: "sms", Token: "x"},
		{Provider: "apns", Token: "not-hex"},
		{Provider: "apns"},
		{Provider: "fcm", Token: "t", VoIP: true},
		{Provider: "webpush", Token: "t"},
		{Provider: "webpush", Subscription: &signaling.PushSubscription{Endpoint: "http://push.example/s", Keys: sub.Keys}},
		{Provider: "webpush", Subscription: &signaling.PushSubscription{Endpoint: sub.Endpoint, Keys: signaling.PushKey{P256DH: "AAAA", Auth: sub.Keys.Auth}}},
		{Provider: "webpush", Subscription: &signaling.PushSubscription{Endpoint: sub.Endpoint, Keys: signaling.PushKey{P256DH: sub.Keys.P256DH, Auth: "AAAA"}}},
	}
	for _, r := range bad {
		if _, err := phone.RegisterPush(ctx, r); client.Code(err) != signaling.CodeBadRequest {
			t.Errorf("register %+v: %v, want bad_request", r, err)
		}
	}

	// Registrations survive the device's disconnect.
	_ = tab.Close()
	if got := fmt.Sprint(pushList(t, s.addr, tok, "bob")); got != want {
		t.Fatalf("after the tab left: %s, want %s", got, want)
	}
	// unregisterPush by id, then every registration of this device.
	if n, err := phone.UnregisterPush(ctx, voipID); err != nil || n != 1 {
		t.Fatalf("unregister by id: %d %v", n, err)
	}
	if n, err := phone.UnregisterPush(ctx, ""); err != nil || n != 1 {
		t.Fatalf("unregister this device: %d %v", n, err)
	}
	if got := fmt.Sprint(pushList(t, s.addr, tok, "bob")); got != "[tab/webpush/false]" {
		t.Fatalf("after unregistering the phone: %s", got)
	}
	// The server API removes one; twice is 404.
	if code, body := apiCall(t, s.addr, tok, "DELETE", "/v1/api/users/bob/push/"+webID, nil); code != http.StatusOK || body["removed"] != float64(1) {
		t.Fatalf("API remove: %d %v", code, body)
	}
	if code, body := apiCall(t, s.addr, tok, "DELETE", "/v1/api/users/bob/push/"+webID, nil); code != http.StatusNotFound || errCode(body) != signaling.CodeNotFound {
		t.Fatalf("API remove again: %d %v", code, body)
	}
	if got := pushList(t, s.addr, tok, "bob"); len(got) != 0 {
		t.Fatalf("after the API removal: %v", got)
	}
	// A user token cannot use the API.
	if code, _ := apiCall(t, s.addr, "", "GET", "/v1/api/users/bob/push", nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
}

// TestPushRegistrationWithoutHistory: with --history=false there is no
// database, so registration is unavailable rather than silently lost.
func TestPushRegistrationWithoutHistory(t *testing.T) {
	s := startServe(t, "--drain-delay", "0", "--history=false")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialAs(ctx, t, s.addr, "bob", "phone")
	if _, err := c.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "fcm", Token: "t"}); client.Code(err) != signaling.CodeUnavailable {
		t.Fatalf("register without history: %v, want unavailable", err)
	}
	if code, body := apiCall(t, s.addr, serverToken(t, time.Hour, time.Now()), "GET", "/v1/api/users/bob/push", nil); code != http.StatusServiceUnavailable {
		t.Fatalf("API list without history: %d %v", code, body)
	}
}
