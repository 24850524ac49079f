package push

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ringsfu/ringsfu/room"
)

// memStore is an in-memory Store.
type memStore struct {
	mu   sync.Mutex
	regs map[string][]Registration
}

func (s *memStore) Registrations(_ context.Context, user string) ([]Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Registration(nil), s.regs[user]...), nil
}

func (s *memStore) Remove(_ context.Context, user, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.regs[user][:0]
	for _, r := range s.regs[user] {
		if r.ID != id {
			rs = append(rs, r)
		}
	}
	s.regs[user] = rs
	return nil
}

func (s *memStore) count(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.regs[user])
}

// fakeProvider records what it sends; fail decides each attempt's error.
type fakeProvider struct {
	name  string
	mu    sync.Mutex
	sent  []string // "regID kind callID reason"
	fail  func(r Registration, m Message, attempt int) error
	tries map[string]int
	block chan struct{} // when set, Send waits on it or ctx
}

func (p *fakeProvider) Name() string { return p.name }

func (p *fakeProvider) Send(ctx context.Context, r Registration, m Message) error {
	if p.block != nil {
		select {
		case <-p.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tries == nil {
		p.tries = map[string]int{}
	}
	k := r.ID + m.Kind + m.CallID
	p.tries[k]++
	if p.fail != nil {
		if err := p.fail(r, m, p.tries[k]); err != nil {
			return err
		}
	}
	p.sent = append(p.sent, fmt.Sprintf("%s %s %s %s %s", r.ID, m.Kind, m.CallID, m.Reason, m.Title))
	return nil
}

func (p *fakeProvider) got() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := append([]string(nil), p.sent...)
	sort.Strings(s)
	return strings.Join(s, "; ")
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ring(call, inv string, expires time.Time) room.IncomingCall {
	return room.IncomingCall{CallID: room.CallID(call), InvitationID: room.InvitationID(inv),
		Caller: room.User{ID: "alice", Name: "Alice"}, Type: "voice", ExpiresAt: expires}
}

func TestDispatcherRingsOfflineDevicesAndStopsThem(t *testing.T) {
	st := &memStore{regs: map[string][]Registration{"bob": {
		{ID: "r-phone", User: "bob", Device: "phone", Provider: "apns"},
		{ID: "r-laptop", User: "bob", Device: "laptop", Provider: "webpush"},
		{ID: "r-tablet", User: "bob", Device: "tablet", Provider: "sms"},
	}}}
	apns, web := &fakeProvider{name: "apns"}, &fakeProvider{name: "webpush"}
	reg := prometheus.NewRegistry()
	d := NewDispatcher(Config{Store: st, Providers: []Provider{apns, web}, Registerer: reg})
	defer d.Close()
	exp := time.Now().Add(time.Minute)
	d.InvitationCreated("c1", "i1", room.User{ID: "alice"}, nil, "voice", "", room.Notification{Title: "Alice calls"})
	// The laptop is connected: only the phone is pushed.
	d.Ring("bob", []room.DeviceID{"laptop"}, ring("c1", "i1", exp))
	// The same invitation again (resume, re-emit): no duplicate.
	d.Ring("bob", nil, ring("c1", "i1", exp))
	waitFor(t, "the ring push", func() bool { return apns.got() == "r-phone ring c1  Alice calls" })
	// The second Ring reached the laptop (offline then).
	waitFor(t, "the laptop's ring", func() bool { return web.got() == "r-laptop ring c1  Alice calls" })
	// Stop goes to the devices that were rung and are not live now.
	d.StopRing("bob", []room.DeviceID{"laptop"}, "c1", StopCanceled)
	waitFor(t, "the stop push", func() bool {
		return apns.got() == "r-phone ring c1  Alice calls; r-phone stop c1 canceled "
	})
	// A stop for a call never rung by push sends nothing; nor does a second stop.
	d.StopRing("bob", nil, "c2", StopTimeout)
	d.StopRing("bob", nil, "c1", StopTimeout)
	d.Ring("bob", []room.DeviceID{"phone", "laptop"}, ring("c3", "i3", exp)) // everyone live: nothing
	d.Ring("carol", nil, ring("c4", "i4", exp))                              // no registrations: nothing
	// A marker ring that is processed after all of the above.
	d.Ring("bob", []room.DeviceID{"laptop"}, ring("c5", "i5", exp))
	waitFor(t, "the marker", func() bool { return strings.Contains(apns.got(), "c5") })
	if got := apns.got(); got != "r-phone ring c1  Alice calls; r-phone ring c5  ; r-phone stop c1 canceled " {
		t.Fatalf("apns sent %q", got)
	}
	if got := web.got(); got != "r-laptop ring c1  Alice calls" {
		t.Fatalf("webpush sent %q", got)
	}
	if n := value(d.m.dropped.WithLabelValues("duplicate")); n != 1 {
		t.Fatalf("duplicates counted %v", n)
	}
	if n := value(d.m.dropped.WithLabelValues("no_provider")); n < 1 {
		t.Fatalf("no_provider counted %v", n)
	}
	if n := value(d.m.sent.WithLabelValues("apns", "stop")); n != 1 {
		t.Fatalf("stop pushes counted %v", n)
	}
}

func TestDispatcherRetriesAndRemovesGoneTargets(t *testing.T) {
	st := &memStore{regs: map[string][]Registration{"bob": {
		{ID: "r-flaky", User: "bob", Device: "a", Provider: "fcm"},
		{ID: "r-gone", User: "bob", Device: "b", Provider: "fcm"},
		{ID: "r-bad", User: "bob", Device: "c", Provider: "fcm"},
	}}}
	fcm := &fakeProvider{name: "fcm", fail: func(r Registration, _ Message, attempt int) error {
		switch {
		case r.ID == "r-flaky" && attempt < 3:
			return errors.New("503 from the provider")
		case r.ID == "r-gone":
			return fmt.Errorf("410: %w", ErrGone)
		case r.ID == "r-bad":
			return fmt.Errorf("400: %w", ErrPermanent)
		}
		return nil
	}}
	d := NewDispatcher(Config{Store: st, Providers: []Provider{fcm}, Backoff: 10 * time.Millisecond})
	defer d.Close()
	d.Ring("bob", nil, ring("c1", "i1", time.Now().Add(time.Minute)))
	waitFor(t, "the flaky push after retries", func() bool { return fcm.got() == "r-flaky ring c1  " })
	waitFor(t, "the gone registration removed", func() bool { return st.count("bob") == 2 })
	waitFor(t, "the counters", func() bool {
		return value(d.m.retries.WithLabelValues("fcm")) == 2 &&
			value(d.m.failures.WithLabelValues("fcm", "gone")) == 1 &&
			value(d.m.failures.WithLabelValues("fcm", "refused")) == 1
	})
	fcm.mu.Lock()
	tries := fcm.tries["r-badringc1"]
	fcm.mu.Unlock()
	if tries != 1 {
		t.Fatalf("a refused push was tried %d times", tries)
	}
}

func TestDispatcherHangingProviderCostsNothingElse(t *testing.T) {
	st := &memStore{regs: map[string][]Registration{}}
	for i := 0; i < 50; i++ {
		u := fmt.Sprint("u", i)
		st.regs[u] = []Registration{{ID: "a-" + u, User: u, Device: "d", Provider: "apns"},
			{ID: "f-" + u, User: u, Device: "d", Provider: "fcm"}}
	}
	hang := &fakeProvider{name: "apns", block: make(chan struct{})}
	fcm := &fakeProvider{name: "fcm"}
	d := NewDispatcher(Config{Store: st, Providers: []Provider{hang, fcm}, QueueSize: 8, Workers: 2, SendTimeout: time.Hour})
	defer d.Close()
	exp := time.Now().Add(time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			d.Ring(room.UserID(fmt.Sprint("u", i)), nil, ring(fmt.Sprint("c", i), fmt.Sprint("i", i), exp))
			if i%8 == 7 { // let the resolver keep up with the small queue
				waitFor(t, "fcm to keep up", func() bool { return strings.Count(fcm.got(), "ring") == i+1 })
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Ring blocked behind a hanging provider")
	}
	waitFor(t, "every fcm push", func() bool { return strings.Count(fcm.got(), "ring") == 50 })
	if n := value(d.m.dropped.WithLabelValues("overflow")); n == 0 {
		t.Fatal("the hanging provider's full queue was not counted")
	}
	// Close cancels the hanging sends and returns.
	closed := make(chan struct{})
	go func() { d.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close hung")
	}
}

func TestDispatcherRateLimitsRingsPerRegistration(t *testing.T) {
	st := &memStore{regs: map[string][]Registration{"bob": {{ID: "r", User: "bob", Device: "d", Provider: "fcm"}}}}
	fcm := &fakeProvider{name: "fcm"}
	d := NewDispatcher(Config{Store: st, Providers: []Provider{fcm}, RingBurst: 3, RingEvery: time.Hour})
	defer d.Close()
	for i := 0; i < 5; i++ {
		d.Ring("bob", nil, ring(fmt.Sprint("c", i), fmt.Sprint("i", i), time.Now().Add(time.Minute)))
	}
	waitFor(t, "the limited pushes", func() bool {
		return value(d.m.dropped.WithLabelValues("rate_limited")) == 2
	})
	waitFor(t, "three rings", func() bool { return strings.Count(fcm.got(), "ring") == 3 })
}
