package push_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
	"github.com/ringsfu/ringsfu/signaling/push/pushtest"
)

func TestAPNsProviderAgainstFakeService(t *testing.T) {
	svc := pushtest.NewAPNsService()
	defer svc.Close()
	a, err := push.NewAPNs(push.APNsConfig{Key: svc.P8(), KeyID: svc.KeyID, TeamID: svc.TeamID, Endpoint: svc.URL(),
		Client: svc.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	voip := push.Registration{ID: "r1", User: "bob", Device: "iphone", Provider: "apns", Target: "aabbcc", VoIP: true, AppID: svc.Bundle}
	alert := push.Registration{ID: "r2", User: "bob", Device: "ipad", Provider: "apns", Target: "ddeeff", AppID: svc.Bundle}
	exp := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	ring := push.Message{Kind: push.KindRing, CallID: "c1", InvitationID: "i1", CallerID: "alice", Type: "video", Title: "Alice", Body: "calls", ExpiresAt: exp}
	stop := push.Message{Kind: push.KindStop, CallID: "c1", Reason: push.StopAnsweredElsewhere}
	for _, c := range []struct {
		r push.Registration
		m push.Message
	}{{voip, ring}, {voip, stop}, {alert, ring}, {alert, stop}} {
		if err := a.Send(ctx, c.r, c.m); err != nil {
			t.Fatalf("send %s to %s: %v (fake: %v)", c.m.Kind, c.r.Device, err, svc.Errors())
		}
	}
	got := svc.Received()
	if len(got) != 4 {
		t.Fatalf("received %d", len(got))
	}
	want := []struct{ to, typ, topic, prio, kind string }{
		{"aabbcc", "voip", svc.Bundle + ".voip", "10", "ring"}, {"aabbcc", "voip", svc.Bundle + ".voip", "10", "stop"},
		{"ddeeff", "alert", svc.Bundle, "10", "ring"}, {"ddeeff", "background", svc.Bundle, "5", "stop"}}
	for i, w := range want {
		h := got[i].Header
		if got[i].To != w.to || h.Get("apns-push-type") != w.typ || h.Get("apns-topic") != w.topic || h.Get("apns-priority") != w.prio ||
			got[i].Message.Kind != w.kind || got[i].Message.CallID != "c1" {
			t.Errorf("push %d: to %s %v %+v, want %+v", i, got[i].To, h, got[i].Message, w)
		}
	}
	if e := got[0].Header.Get("apns-expiration"); e != strconv.FormatInt(exp.Unix(), 10) {
		t.Fatalf("ring expiration %s, want the ring deadline %d", e, exp.Unix())
	}
	if got[0].Message.InvitationID != "i1" || got[1].Message.Reason != push.StopAnsweredElsewhere {
		t.Fatalf("payloads %+v %+v", got[0].Message, got[1].Message)
	}
	svc.SetGone("aabbcc")
	if err := a.Send(ctx, voip, stop); !errors.Is(err, push.ErrGone) {
		t.Fatalf("410: %v", err)
	}
	// A key the fake does not know: refused, not retried.
	other := pushtest.NewAPNsService()
	defer other.Close()
	bad, _ := push.NewAPNs(push.APNsConfig{Key: other.P8(), KeyID: svc.KeyID, TeamID: svc.TeamID, Endpoint: svc.URL(), Client: svc.Client()})
	if err := bad.Send(ctx, alert, stop); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("foreign key: %v", err)
	}
}
