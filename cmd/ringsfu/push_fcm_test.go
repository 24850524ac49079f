package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/push/pushtest"
)

// TestFCMRingsOfflineDevice runs the whole server with FCM against the
// fake FCM (OAuth2 token exchange and v1 send): an offline Android device
// is rung and told to stop when the call is canceled; a retryable 503 is
// retried; UNREGISTERED removes the registration.
func TestFCMRingsOfflineDevice(t *testing.T) {
	svc := pushtest.NewFCMService()
	defer svc.Close()
	sa := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(sa, svc.ServiceAccount(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--drain-delay", "0", "--resume-grace", "1s", "--fcm-service-account", sa, "--fcm-endpoint", svc.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok := serverToken(t, time.Hour, time.Now())
	android := dialAs(ctx, t, s.addr, "bob", "android")
	if _, err := android.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "fcm", Token: "fcm-bob-1", AppID: "com.example.app"}); err != nil {
		t.Fatal(err)
	}
	_ = android.Close()
	waitGone(t, s.addr, "bob", "android")
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	got := func() string {
		var out []string
		for _, r := range svc.Received() {
			out = append(out, r.To+" "+r.Message.Kind+":"+r.Message.CallID+":"+r.Message.Reason)
		}
		return fmt.Sprint(out)
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for got() != want {
			if time.Now().After(deadline) {
				t.Fatalf("fake FCM received %s, want %s (errors %v)", got(), want, svc.Errors())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	timeout := 30
	svc.FailNext(1) // the first send is refused with 503 and retried
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: "fcm-1", TimeoutSeconds: &timeout,
		Invitees: []signaling.User{{ID: "bob"}}, Notification: &signaling.Notification{Title: "Alice", Message: "Voice call"}})
	if err != nil {
		t.Fatal(err)
	}
	wait("[fcm-bob-1 ring:fcm-1:]")
	if m := svc.Received()[0].Message; m.InvitationID != res.InvitationID || m.CallerID != "alice" || m.Title != "Alice" || m.Body != "Voice call" {
		t.Fatalf("ring %+v", m)
	}
	if err := alice.Cancel(ctx, "fcm-1", nil, ""); err != nil {
		t.Fatal(err)
	}
	wait("[fcm-bob-1 ring:fcm-1: fcm-bob-1 stop:fcm-1:canceled]")
	// UNREGISTERED removes the registration.
	svc.SetGone("fcm-bob-1")
	if _, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", CallID: "fcm-2", TimeoutSeconds: &timeout,
		Invitees: []signaling.User{{ID: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(pushList(t, s.addr, tok, "bob")) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("registration not removed after UNREGISTERED: %v", pushList(t, s.addr, tok, "bob"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
