package signaling_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
)

// hookReceiver is a real HTTP receiver that verifies signatures, can be told
// to fail, and records what it accepted.
type hookReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	failN  int // fail this many requests first
	seen   []signaling.WebhookEvent
	tries  map[string]int
	badSig int
	block  chan struct{} // if not nil, requests wait on it
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.block != nil {
		<-r.block
	}
	ts, _ := strconv.ParseInt(req.Header.Get(signaling.HeaderWebhookTimestamp), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Header.Get(signaling.HeaderWebhookSignature) != signaling.Sign(testSecret, ts, body) || time.Since(time.Unix(ts, 0)) > time.Minute {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev signaling.WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.tries == nil {
		r.tries = map[string]int{}
	}
	r.tries[ev.ID]++
	if r.failN > 0 {
		r.failN--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.seen = append(r.seen, ev)
}

func (r *hookReceiver) events() []signaling.WebhookEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signaling.WebhookEvent(nil), r.seen...)
}

func waitHooks(t *testing.T, r *hookReceiver, n int) []signaling.WebhookEvent {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		evs := r.events()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d webhook events, want %d: %+v", len(evs), n, evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhooksDeliverSignedInOrderWithRetries(t *testing.T) {
	rcv := &hookReceiver{t: t, failN: 3}
	rs := httptest.NewServer(rcv)
	defer rs.Close()
	hooks := signaling.NewWebhooks(signaling.WebhookConfig{URLs: []string{rs.URL}, AppID: testApp, Secret: testSecret,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	h := newHarness(t, func(c *signaling.Config) { c.Observer = hooks })
	alice, bob := h.dial("alice"), h.dial("bob")
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}},
		Notification: &signaling.Notification{Title: "Call", Message: "Alice is calling", ResourceID: "res-1"}})
	mustOK(t, err)
	_, err = bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	mustOK(t, bob.Leave(ctx(t), res.CallID))
	mustOK(t, alice.Leave(ctx(t), res.CallID))
	want := []string{"call.started", "member.joined", "invitation.created", "invitation.accepted", "member.joined",
		"member.left", "member.left", "call.ended"}
	evs := waitHooks(t, rcv, len(want))
	ids := map[string]bool{}
	for i, ev := range evs {
		if ev.Event != want[i] || ev.CallID != res.CallID || ev.AppID != testApp {
			t.Fatalf("event %d: %+v, want %s (all: %+v)", i, ev, want[i], evs)
		}
		if ids[ev.ID] {
			t.Fatalf("duplicate id delivered as new: %s", ev.ID)
		}
		ids[ev.ID] = true
	}
	created := evs[2].Data.(map[string]any)
	n := created["notification"].(map[string]any)
	if n["title"] != "Call" || n["resourceID"] != "res-1" || created["invitationID"] != res.InvitationID {
		t.Fatalf("invitation.created: %+v", created)
	}
	ended := evs[7].Data.(map[string]any)
	if ended["reason"] != "empty" || len(ended["members"].([]any)) != 2 {
		t.Fatalf("call.ended: %+v", ended)
	}
	rcv.mu.Lock()
	retried := rcv.tries[evs[0].ID]
	bad := rcv.badSig
	rcv.mu.Unlock()
	if retried != 4 || bad != 0 {
		t.Fatalf("first event tried %d times (want 4: three failures then success), bad signatures %d", retried, bad)
	}
	mustOK(t, hooks.Close(context.Background()))
}

func TestDeadWebhookReceiverCostsNothingElse(t *testing.T) {
	block := make(chan struct{})
	rcv := &hookReceiver{t: t, block: block}
	rs := httptest.NewServer(rcv)
	defer rs.Close()
	defer close(block)
	hooks := signaling.NewWebhooks(signaling.WebhookConfig{URLs: []string{rs.URL}, AppID: testApp, Secret: testSecret,
		QueueSize: 5, Client: &http.Client{Timeout: 200 * time.Millisecond}, MaxAttempts: 2, Backoff: 10 * time.Millisecond})
	h := newHarness(t, func(c *signaling.Config) { c.Observer = hooks })
	alice, bob := h.dial("alice"), h.dial("bob")
	// Many calls while the receiver hangs: every request stays fast.
	for i := 0; i < 30; i++ {
		start := time.Now()
		res := invite(t, alice, "voice", "bob")
		mustOK(t, alice.Cancel(ctx(t), res.CallID, nil, ""))
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("request took %v with a dead receiver", d)
		}
		bob.Discard()
		alice.Discard()
	}
	cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := hooks.Close(cctx); err == nil {
		t.Fatal("closing with a hanging receiver must report undelivered events")
	}
}
