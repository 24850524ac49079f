package push_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
	"github.com/ringsfu/ringsfu/signaling/push/pushtest"
)

// webReg registers a fresh subscription of svc.
func webReg(svc *pushtest.WebPushService) (string, push.Registration) {
	id, ep, p, a := svc.Subscribe()
	b, _ := json.Marshal(map[string]any{"endpoint": ep, "keys": map[string]string{"p256dh": p, "auth": a}})
	return id, push.Registration{ID: "r-" + id, User: "bob", Device: "tab", Provider: "webpush", Target: string(b)}
}

func TestWebPushProviderAgainstFakeService(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	svc := pushtest.NewWebPushService(&key.PublicKey)
	defer svc.Close()
	wp, err := push.NewWebPush(push.WebPushConfig{Key: key, Subject: "mailto:ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, reg := webReg(svc)
	ring := push.Message{Kind: push.KindRing, CallID: "c1", InvitationID: "i1", CallerID: "alice", CallerName: "Alice",
		Type: "video", Title: "Alice", Body: "is calling", ExpiresAt: time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)}
	if err := wp.Send(ctx, reg, ring); err != nil {
		t.Fatalf("send: %v (service errors %v)", err, svc.Errors())
	}
	stop := push.Message{Kind: push.KindStop, CallID: "c1", Reason: push.StopCanceled}
	if err := wp.Send(ctx, reg, stop); err != nil {
		t.Fatal(err)
	}
	got := svc.Received()
	if len(got) != 2 || got[0].To != id || !got[0].Message.ExpiresAt.Equal(ring.ExpiresAt) {
		t.Fatalf("received %+v", got)
	}
	got[0].Message.ExpiresAt = ring.ExpiresAt
	if got[0].Message != ring || got[1].Message != stop {
		t.Fatalf("decrypted %+v and %+v", got[0].Message, got[1].Message)
	}
	h := got[0].Header
	if ttl, _ := strconv.Atoi(h.Get("TTL")); ttl < 20 || ttl > 30 || h.Get("Urgency") != "high" || len(h.Get("Topic")) != 22 ||
		h.Get("Topic") != got[1].Header.Get("Topic") || got[1].Header.Get("TTL") != "300" {
		t.Fatalf("headers: ring %v stop %v", h, got[1].Header)
	}
	// Gone and refused.
	svc.SetStatus(id, http.StatusGone)
	if err := wp.Send(ctx, reg, stop); !errors.Is(err, push.ErrGone) {
		t.Fatalf("410: %v", err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wrong, _ := push.NewWebPush(push.WebPushConfig{Key: other, Subject: "mailto:ops@example.com"})
	_, reg2 := webReg(svc)
	if err := wrong.Send(ctx, reg2, stop); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("wrong VAPID key: %v", err)
	}
	// The key round-trips through its base64url scalar.
	d := make([]byte, 32)
	key.D.FillBytes(d)
	k2, err := push.ParseVAPIDKey(base64.RawURLEncoding.EncodeToString(d))
	if err != nil || !k2.Equal(key) {
		t.Fatalf("ParseVAPIDKey: %v", err)
	}
}
