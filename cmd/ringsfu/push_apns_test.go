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

// TestAPNsRingsOfflineIPhone runs the whole server with APNs against the
// fake APNs (HTTP/2, TLS, ES256 provider token): an offline iPhone's VoIP
// token gets the ring push and, when the call times out, the stop push;
// answered on another device, it gets answeredElsewhere; 410 Unregistered
// removes the registration.
func TestAPNsRingsOfflineIPhone(t *testing.T) {
	svc := pushtest.NewAPNsService()
	defer svc.Close()
	dir := t.TempDir()
	p8, ca := filepath.Join(dir, "AuthKey.p8"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p8, svc.P8(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, svc.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--drain-delay", "0", "--resume-grace", "1s", "--apns-key", p8, "--apns-key-id", svc.KeyID,
		"--apns-team-id", svc.TeamID, "--apns-endpoint", svc.URL(), "--apns-ca", ca)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok := serverToken(t, time.Hour, time.Now())
	iphone := dialAs(ctx, t, s.addr, "bob", "iphone")
	if _, err := iphone.RegisterPush(ctx, signaling.RegisterPushRequest{Provider: "apns", Token: "0123456789abcdef", VoIP: true,
		AppID: svc.Bundle}); err != nil {
		t.Fatal(err)
	}
	_ = iphone.Close()
	waitGone(t, s.addr, "bob", "iphone")
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	desk := dialAs(ctx, t, s.addr, "bob", "desk")
	got := func() string {
		var out []string
		for _, r := range svc.Received() {
			out = append(out, r.Header.Get("apns-push-type")+" "+r.Message.Kind+":"+r.Message.CallID+":"+r.Message.Reason)
		}
		return fmt.Sprint(out)
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for got() != want {
			if time.Now().After(deadline) {
				t.Fatalf("fake APNs received %s, want %s (errors %v)", got(), want, svc.Errors())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	invite := func(id string, timeout int) {
		t.Helper()
		if _, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", CallID: id, TimeoutSeconds: &timeout,
			Invitees: []signaling.User{{ID: "bob"}}}); err != nil {
			t.Fatal(err)
		}
	}
	invite("apns-1", 1)
	wait("[voip ring:apns-1: voip stop:apns-1:timeout]")
	invite("apns-2", 30)
	wait("[voip ring:apns-1: voip stop:apns-1:timeout voip ring:apns-2:]")
	if _, err := desk.Accept(ctx, "apns-2", ""); err != nil {
		t.Fatal(err)
	}
	wait("[voip ring:apns-1: voip stop:apns-1:timeout voip ring:apns-2: voip stop:apns-2:answeredElsewhere]")
	for _, c := range []interface {
		Leave(context.Context, string) error
	}{desk, alice} {
		if err := c.Leave(ctx, "apns-2"); err != nil {
			t.Fatal(err)
		}
	}
	svc.SetGone("0123456789abcdef")
	invite("apns-3", 30)
	deadline := time.Now().Add(20 * time.Second)
	for len(pushList(t, s.addr, tok, "bob")) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("registration not removed after 410: %v", pushList(t, s.addr, tok, "bob"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
