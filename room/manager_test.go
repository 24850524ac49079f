package room

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func caller(u string) Caller { return Caller{User: UserID(u), Device: "d1"} }

func inviteReq(timeout time.Duration, users ...string) InviteRequest {
	req := InviteRequest{Type: CallVideo, Timeout: timeout}
	for _, u := range users {
		req.Invitees = append(req.Invitees, User{ID: UserID(u)})
	}
	return req
}

func TestRingTimeoutWithFakeClock(t *testing.T) {
	m, n, clk := newTestManager(t)
	res, err := call(t, func(r Reply) { m.Invite(caller("alice"), inviteReq(30*time.Second, "bob", "carol"), r) })
	if err != nil {
		t.Fatal(err)
	}
	callID := res.(InviteResult).CallID
	clk.Advance(10*time.Second + 500*time.Millisecond)
	pending, _ := m.Attach(caller("bob"))
	if len(pending) != 1 || pending[0].Timeout != 19500*time.Millisecond {
		t.Fatalf("pending: %+v", pending)
	}
	clk.Advance(19 * time.Second)
	for _, e := range n.events("alice") {
		if _, ok := e.(OutgoingTimeout); ok {
			t.Fatal("timed out early")
		}
	}
	clk.Advance(500 * time.Millisecond)
	eventually(t, "outgoing timeout", func() bool {
		for _, e := range n.events("alice") {
			if to, ok := e.(OutgoingTimeout); ok && len(to.Callees) == 2 && to.CallID == callID {
				return true
			}
		}
		return false
	})
	eventually(t, "call end", func() bool { return m.Calls() == 0 })
	ended := 0
	for _, e := range n.events("alice") {
		if ce, ok := e.(CallEnded); ok && ce.Reason == "noAnswer" {
			ended++
		}
	}
	if ended != 1 {
		t.Fatalf("want one noAnswer callEnded, got %d", ended)
	}
	for _, u := range []string{"bob", "carol"} {
		found := false
		for _, e := range n.events(UserID(u)) {
			if it, ok := e.(IncomingCallTimeout); ok && it.Caller.ID == "alice" {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s got no incomingCallTimeout", u)
		}
	}
}

func TestBusyIndexIsAtomic(t *testing.T) {
	m, _, _ := newTestManager(t)
	const callers = 20
	var wg sync.WaitGroup
	results := make([]InviteResult, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m.Invite(caller(fmt.Sprintf("u%d", i)), inviteReq(time.Minute, "target"), func(res any, err error) {
				if err != nil {
					t.Errorf("invite: %v", err)
					return
				}
				results[i] = res.(InviteResult)
			})
		}(i)
	}
	wg.Wait()
	waiting := 0
	for _, r := range results {
		if len(r.Invitees) == 1 && r.Invitees[0].State == StatusWaiting {
			waiting++
		}
	}
	if waiting != 1 {
		t.Fatalf("exactly one call may ring the target, %d did", waiting)
	}
}

func TestReplyPrecedesEventsToTheRequester(t *testing.T) {
	m, n, _ := newTestManager(t)
	if _, err := call(t, func(r Reply) { m.Join(caller("bob"), "elsewhere", CallVoice, nil, r) }); err != nil {
		t.Fatal(err)
	}
	var order []string
	var mu sync.Mutex
	m.Invite(caller("alice"), inviteReq(time.Minute, "bob"), func(res any, err error) {
		mu.Lock()
		defer mu.Unlock()
		// At reply time, no event for alice may have been sent yet.
		if len(n.events("alice")) != 0 {
			order = append(order, "events-before-reply")
		}
		order = append(order, "reply")
	})
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 1 || order[0] != "reply" {
		t.Fatalf("order: %v", order)
	}
	evs := n.events("alice")
	if len(evs) < 2 {
		t.Fatalf("want busy and callEnded after the reply, got %v", evs)
	}
	if _, ok := evs[len(evs)-1].(CallEnded); !ok {
		t.Fatalf("last event: %#v", evs[len(evs)-1])
	}
}

func TestStaleRoomIsRetried(t *testing.T) {
	m, _, _ := newTestManager(t)
	// A call that ends and is re-created under the same id many times while
	// another user keeps joining it must never leave the joiner with a
	// spurious error.
	for i := 0; i < 50; i++ {
		if _, err := call(t, func(r Reply) { m.Join(caller("a"), "c", CallVoice, nil, r) }); err != nil {
			t.Fatal(err)
		}
		if _, err := call(t, func(r Reply) { m.Leave(caller("a"), "c", r) }); err != nil {
			t.Fatal(err)
		}
	}
	if m.Calls() != 0 {
		t.Fatalf("calls left: %d", m.Calls())
	}
}

func TestCloseEndsRoomsAndRefusesRequests(t *testing.T) {
	m, _, _ := newTestManager(t)
	for i := 0; i < 5; i++ {
		if _, err := call(t, func(r Reply) { m.Join(caller(fmt.Sprintf("u%d", i)), CallID(fmt.Sprintf("c%d", i)), CallVoice, nil, r) }); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	if m.Calls() != 0 {
		t.Fatalf("calls after close: %d", m.Calls())
	}
	_, err := call(t, func(r Reply) { m.Join(caller("x"), "new", CallVoice, nil, r) })
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("after close: %v", err)
	}
	m.Close() // idempotent
}
