package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/push"
	"github.com/ringsfu/ringsfu/signaling/push/pushtest"
)

// webPushServer starts the whole server with Web Push on and a fake push
// service that accepts its VAPID key.
func webPushServer(t *testing.T) (*served, *pushtest.WebPushService) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	svc := pushtest.NewWebPushService(&key.PublicKey)
	t.Cleanup(svc.Close)
	d := make([]byte, 32)
	key.D.FillBytes(d)
	s := startServe(t, "--drain-delay", "0", "--resume-grace", "1s", "--webpush-vapid-key", base64.RawURLEncoding.EncodeToString(d),
		"--webpush-subject", "mailto:ops@example.com")
	// The server hands out the matching public key.
	resp, err := http.Get("http://" + s.addr + WebPushKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct{ VapidPublicKey string }
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &k)
	pub, _ := key.PublicKey.ECDH()
	if k.VapidPublicKey != base64.RawURLEncoding.EncodeToString(pub.Bytes()) {
		t.Fatalf("%s: %s", WebPushKeyPath, body)
	}
	return s, svc
}

// waitGone polls the presence API until user's device has no session, so
// that it is certainly not live when the next ring starts.
func waitGone(t *testing.T, addr, user, device string) {
	t.Helper()
	tok := serverToken(t, time.Hour, time.Now())
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := apiCall(t, addr, tok, "GET", "/v1/api/users/"+user+"/presence", nil)
		if !strings.Contains(fmt.Sprint(body["devices"]), device) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's %s still has a session: %v", user, device, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscribe registers a new subscription of svc for c's device.
func subscribe(ctx context.Context, t *testing.T, svc *pushtest.WebPushService, c interface {
	RegisterPush(context.Context, signaling.RegisterPushRequest) (string, error)
}) (subID, regID string) {
	t.Helper()
	id, ep, p, a := svc.Subscribe()
	reg, err := c.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "webpush",
		Subscription: &signaling.PushSubscription{Endpoint: ep, Keys: signaling.PushKey{P256DH: p, Auth: a}}})
	if err != nil {
		t.Fatal(err)
	}
	return id, reg
}

// pushesTo renders what svc received for subscription id as
// "kind:callID:reason" in order.
func pushesTo(svc *pushtest.WebPushService, id string) []string {
	var out []string
	for _, r := range svc.Received() {
		if r.To == id {
			out = append(out, r.Message.Kind+":"+r.Message.CallID+":"+r.Message.Reason)
		}
	}
	return out
}

// waitPushes polls until subscription id received exactly want; on
// failure it logs the push counters of the server at addr.
func waitPushes(t *testing.T, addr string, svc *pushtest.WebPushService, id string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for fmt.Sprint(pushesTo(svc, id)) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, "ringsfu_push") {
						t.Log(l)
					}
				}
			}
			t.Fatalf("subscription %s received %v, want %v (service errors: %v)", id, pushesTo(svc, id), want, svc.Errors())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebPushRingsOfflineDevices runs the whole server with Web Push
// against a fake push service that decrypts every push: an offline
// device is rung with the incoming-call fields and gets a stop push on
// cancel, timeout and answered-elsewhere; a connected device is never
// pushed; a device that connects while it rings gets pendingInvitations
// and no second push; a 410 removes the registration.
func TestWebPushRingsOfflineDevices(t *testing.T) {
	s, svc := webPushServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tok := serverToken(t, time.Hour, time.Now())
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	phone := dialAs(ctx, t, s.addr, "bob", "phone")
	phoneSub, _ := subscribe(ctx, t, svc, phone)
	tab := dialAs(ctx, t, s.addr, "bob", "tab")
	tabSub, tabReg := subscribe(ctx, t, svc, tab)
	_ = tab.Close()
	waitGone(t, s.addr, "bob", "tab")
	invite := func(callID string, timeout int) signaling.InviteResult {
		t.Helper()
		res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: callID, TimeoutSeconds: &timeout,
			Invitees: []signaling.User{{ID: "bob"}}, CustomData: `{"room":"7"}`,
			Notification: &signaling.Notification{Title: "Alice", Message: "Video call"}})
		if err != nil {
			t.Fatalf("invite %s: %v", callID, err)
		}
		return res
	}

	// Canceled.
	res := invite("wp-cancel", 30)
	waitPushes(t, s.addr, svc, tabSub, "ring:wp-cancel:")
	var ring push.Message
	for _, r := range svc.Received() {
		if r.To == tabSub {
			ring = r.Message
		}
	}
	if ring.InvitationID != res.InvitationID || ring.CallerID != "alice" || ring.Type != "video" || ring.CustomData != `{"room":"7"}` ||
		ring.Title != "Alice" || ring.Body != "Video call" || time.Until(ring.ExpiresAt) < 10*time.Second {
		t.Fatalf("ring push %+v", ring)
	}
	if err := alice.Cancel(ctx, "wp-cancel", nil, ""); err != nil {
		t.Fatal(err)
	}
	waitPushes(t, s.addr, svc, tabSub, "ring:wp-cancel:", "stop:wp-cancel:canceled")

	// Timed out.
	invite("wp-timeout", 1)
	waitPushes(t, s.addr, svc, tabSub, "ring:wp-cancel:", "stop:wp-cancel:canceled", "ring:wp-timeout:", "stop:wp-timeout:timeout")

	// Answered on the phone: the tab is told to stop.
	invite("wp-answer", 30)
	waitPushes(t, s.addr, svc, tabSub, "ring:wp-cancel:", "stop:wp-cancel:canceled", "ring:wp-timeout:", "stop:wp-timeout:timeout",
		"ring:wp-answer:")
	if _, err := phone.Accept(ctx, "wp-answer", ""); err != nil {
		t.Fatal(err)
	}
	waitPushes(t, s.addr, svc, tabSub, "ring:wp-cancel:", "stop:wp-cancel:canceled", "ring:wp-timeout:", "stop:wp-timeout:timeout",
		"ring:wp-answer:", "stop:wp-answer:answeredElsewhere")
	for _, c := range []interface {
		Leave(context.Context, string) error
	}{phone, alice} {
		if err := c.Leave(ctx, "wp-answer"); err != nil {
			t.Fatal(err)
		}
	}
	if got := pushesTo(svc, phoneSub); len(got) != 0 {
		t.Fatalf("the connected phone was pushed: %v", got)
	}
	_ = phone.Close()
	waitGone(t, s.addr, "bob", "phone")

	// The tab comes back while it rings: pendingInvitations, no second ring.
	invite("wp-online", 30)
	all := []string{"ring:wp-cancel:", "stop:wp-cancel:canceled", "ring:wp-timeout:", "stop:wp-timeout:timeout",
		"ring:wp-answer:", "stop:wp-answer:answeredElsewhere", "ring:wp-online:"}
	waitPushes(t, s.addr, svc, tabSub, all...)
	tab2 := dialAs(ctx, t, s.addr, "bob", "tab")
	if p := tab2.Hello().PendingInvitations; len(p) != 1 || p[0].CallID != "wp-online" {
		t.Fatalf("pendingInvitations %+v", p)
	}
	if _, err := tab2.Accept(ctx, "wp-online", ""); err != nil {
		t.Fatal(err)
	}
	// The end of that ring: the tab answered and is live, so no stop push
	// (the marker call below proves the queue moved on).
	for _, c := range []interface {
		Leave(context.Context, string) error
	}{tab2, alice} {
		if err := c.Leave(ctx, "wp-online"); err != nil {
			t.Fatal(err)
		}
	}
	_ = tab2.Close()
	waitGone(t, s.addr, "bob", "tab")
	invite("wp-marker2", 30)
	// The phone was offline during wp-online: rung, then told it was
	// answered elsewhere.
	waitPushes(t, s.addr, svc, phoneSub, "ring:wp-online:", "stop:wp-online:answeredElsewhere", "ring:wp-marker2:")
	waitPushes(t, s.addr, svc, tabSub, append(all, "ring:wp-marker2:")...)
	if err := alice.Cancel(ctx, "wp-marker2", nil, ""); err != nil {
		t.Fatal(err)
	}
	waitPushes(t, s.addr, svc, tabSub, append(all, "ring:wp-marker2:", "stop:wp-marker2:canceled")...)

	// 410 removes the registration.
	svc.SetStatus(tabSub, http.StatusGone)
	invite("wp-gone", 30)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := pushList(t, s.addr, tok, "bob")
		if len(got) == 1 && got[0] == "phone/webpush/false" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registration %s not removed after 410: %v", tabReg, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebPushHangingServiceCostsNothing: with the push service hanging, an
// invite to an offline user and a parallel call between online users go
// on as usual.
func TestWebPushHangingServiceCostsNothing(t *testing.T) {
	s, svc := webPushServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab := dialAs(ctx, t, s.addr, "bob", "tab")
	subscribe(ctx, t, svc, tab)
	_ = tab.Close()
	waitGone(t, s.addr, "bob", "tab")
	svc.SetHang(true)
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	carol := dialAs(ctx, t, s.addr, "carol", "c1")
	dave := dialAs(ctx, t, s.addr, "dave", "d1")
	for i := 0; i < 20; i++ {
		timeout := 30
		if _, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: fmt.Sprint("hang-", i), TimeoutSeconds: &timeout,
			Invitees: []signaling.User{{ID: "bob"}}}); err != nil {
			t.Fatal(err)
		}
		if err := alice.Cancel(ctx, fmt.Sprint("hang-", i), nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	timeout := 30
	if _, err := carol.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: "parallel", TimeoutSeconds: &timeout,
		Invitees: []signaling.User{{ID: "dave"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dave.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dave.Accept(ctx, "parallel", ""); err != nil {
		t.Fatalf("accept beside a hanging push service: %v", err)
	}
}
