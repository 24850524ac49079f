package room

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeNotifier records every event; every user counts as connected on one
// device unless listed in offline.
type fakeNotifier struct {
	mu      sync.Mutex
	log     []sent
	offline map[UserID]bool
}

type sent struct {
	to Recipient
	ev Event
}

func (n *fakeNotifier) Notify(to Recipient, ev Event) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.log = append(n.log, sent{to, ev})
	if n.offline[to.User] {
		return 0
	}
	return 1
}

// events returns what user u received, in order.
func (n *fakeNotifier) events(u UserID) []Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Event
	for _, s := range n.log {
		if s.to.User == u {
			out = append(out, s.ev)
		}
	}
	return out
}

// fakeClock is a manual clock: timers fire only in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward and runs the timers that became due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	rest := c.timers[:0]
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t)
		} else if !t.stopped {
			rest = append(rest, t)
		}
	}
	c.timers = rest
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// newTestManager returns a Manager with fakes, closed at test end.
func newTestManager(t *testing.T) (*Manager, *fakeNotifier, *fakeClock) {
	t.Helper()
	n := &fakeNotifier{offline: map[UserID]bool{}}
	clk := newFakeClock()
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, n, clk
}

// result captures one Reply.
type result struct {
	mu  sync.Mutex
	res any
	err error
	n   int
}

func (r *result) reply(res any, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res, r.err = res, err
	r.n++
}

// call runs op with a fresh result and checks it replied exactly once.
func call(t *testing.T, op func(Reply)) (any, error) {
	t.Helper()
	var r result
	op(r.reply)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n != 1 {
		t.Fatalf("reply called %d times", r.n)
	}
	return r.res, r.err
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
