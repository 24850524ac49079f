package push_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
	"github.com/ringsfu/ringsfu/signaling/push/pushtest"
)

func TestFCMProviderAgainstFakeService(t *testing.T) {
	svc := pushtest.NewFCMService()
	defer svc.Close()
	f, err := push.NewFCM(push.FCMConfig{ServiceAccount: svc.ServiceAccount(), Endpoint: svc.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg := push.Registration{ID: "r1", User: "bob", Device: "android", Provider: "fcm", Target: "fcm-device-1"}
	ring := push.Message{Kind: push.KindRing, CallID: "c1", InvitationID: "i1", CallerID: "alice", CallerName: "Alice",
		Type: "voice", CustomData: `{"x":1}`, Title: "Alice", Body: "calls", ExpiresAt: time.Now().Add(time.Minute).UTC()}
	stop := push.Message{Kind: push.KindStop, CallID: "c1", Reason: push.StopTimeout}
	for _, m := range []push.Message{ring, stop} {
		if err := f.Send(ctx, reg, m); err != nil {
			t.Fatalf("send %s: %v (fake: %v)", m.Kind, err, svc.Errors())
		}
	}
	got := svc.Received()
	if len(got) != 2 || got[0].To != "fcm-device-1" || !got[0].Message.ExpiresAt.Equal(ring.ExpiresAt) {
		t.Fatalf("received %+v", got)
	}
	got[0].Message.ExpiresAt = ring.ExpiresAt
	if got[0].Message != ring || got[1].Message != stop || got[1].Header.Get("X-Android-Ttl") != "300s" {
		t.Fatalf("messages %+v / %+v", got[0], got[1])
	}
	// One access token serves both sends.
	if n := svc.Grants(); n != 1 {
		t.Fatalf("%d token grants", n)
	}
	// 503 is retryable (not gone, not permanent); UNREGISTERED is gone.
	svc.FailNext(1)
	if err := f.Send(ctx, reg, stop); err == nil || errors.Is(err, push.ErrGone) || errors.Is(err, push.ErrPermanent) {
		t.Fatalf("503: %v", err)
	}
	svc.SetGone("fcm-device-1")
	if err := f.Send(ctx, reg, stop); !errors.Is(err, push.ErrGone) {
		t.Fatalf("UNREGISTERED: %v", err)
	}
	// A service account whose key the token endpoint does not know.
	other := pushtest.NewFCMService()
	defer other.Close()
	bad, err := push.NewFCM(push.FCMConfig{ServiceAccount: other.ServiceAccount(), Endpoint: svc.URL(), TokenURL: svc.URL() + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(ctx, reg, stop); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("foreign key: %v", err)
	}
}
