package room

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHistory records what the rooms report, one line per fact.
type fakeHistory struct {
	mu    sync.Mutex
	lines []string
}

func (h *fakeHistory) add(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, fmt.Sprintf(format, args...))
}

func (h *fakeHistory) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.lines, "\n")
}

func (h *fakeHistory) CallStarted(c CallID, typ CallType, u User, _ time.Time) {
	h.add("start %s %s %s", c, typ, u.ID)
}
func (h *fakeHistory) CallEnded(c CallID, reason string, _ time.Time) { h.add("end %s %s", c, reason) }
func (h *fakeHistory) MemberJoined(c CallID, u User, d DeviceID, _ time.Time) {
	h.add("join %s %s %s", c, u.ID, d)
}
func (h *fakeHistory) MemberLeft(c CallID, u User, reason string, _ time.Time) {
	h.add("leave %s %s %s", c, u.ID, reason)
}
func (h *fakeHistory) InviteeChanged(c CallID, _ InvitationID, u, by User, s InviteeStatus, _ time.Time) {
	h.add("invitee %s %s by %s %s", c, u.ID, by.ID, s)
}

// newHistoryManager is newTestManager with a recording History.
func newHistoryManager(t *testing.T) (*Manager, *fakeNotifier, *fakeHistory) {
	t.Helper()
	n := &fakeNotifier{offline: map[UserID]bool{}}
	h := &fakeHistory{}
	m, err := NewManager(ManagerConfig{Notifier: n, Clock: newFakeClock(), History: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, n, h
}

func TestHistoryIsFedByTheRoom(t *testing.T) {
	m, _, h := newHistoryManager(t)
	req := inviteReq(30*time.Second, "bob", "carol")
	req.CallID = "c1"
	if _, err := call(t, func(r Reply) { m.Invite(caller("alice"), req, r) }); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, func(r Reply) { m.Accept(caller("bob"), "c1", "", r) }); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, func(r Reply) { m.Reject(caller("carol"), "c1", "", false, r) }); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, func(r Reply) { m.ServerRemove("c1", []UserID{"bob"}, r) }); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, func(r Reply) { m.ServerEnd("c1", r) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the call to end", func() bool { return m.Calls() == 0 })
	want := strings.Join([]string{
		"start c1 video alice", "join c1 alice d1",
		"invitee c1 bob by alice waiting", "invitee c1 carol by alice waiting",
		"invitee c1 bob by alice accepted", "join c1 bob d1",
		"invitee c1 carol by alice declined",
		"invitee c1 bob by alice removed", "leave c1 bob removed",
		"end c1 endedByServer",
	}, "\n")
	if got := h.all(); got != want {
		t.Fatalf("history:\n%s\nwant:\n%s", got, want)
	}
}

func TestStartOnBehalfIsTakenOverByTheInvitersDevice(t *testing.T) {
	m, n, h := newHistoryManager(t)
	req := inviteReq(30*time.Second, "patient")
	req.CallID = "appt"
	if _, err := call(t, func(r Reply) { m.StartOnBehalf(User{ID: "doctor", Name: "Dr"}, req, r) }); err != nil {
		t.Fatal(err)
	}
	if s, ok := m.UserSlot("doctor"); !ok || !s.Member || s.Device != ServerDevice || s.Call != "appt" {
		t.Fatalf("doctor's slot %+v %v", s, ok)
	}
	ring := false
	for _, e := range n.events("patient") {
		if ic, ok := e.(IncomingCall); ok && ic.Caller.ID == "doctor" && ic.Caller.Name == "Dr" {
			ring = true
		}
	}
	if !ring {
		t.Fatal("the patient was not rung by the doctor")
	}
	doc := Caller{User: "doctor", Device: "phone"}
	res, err := call(t, func(r Reply) { m.Join(doc, "appt", "", nil, r) })
	if err != nil {
		t.Fatal(err)
	}
	if st := res.(CallState); len(st.Members) != 1 || st.Initiator.ID != "doctor" {
		t.Fatalf("join: %+v", st)
	}
	if s, _ := m.UserSlot("doctor"); s.Device != "phone" {
		t.Fatalf("slot after takeover %+v", s)
	}
	if _, err := call(t, func(r Reply) { m.Join(Caller{User: "doctor", Device: "laptop"}, "appt", "", nil, r) }); err == nil {
		t.Fatal("a second device took the membership too")
	}
	if _, err := call(t, func(r Reply) { m.Accept(caller("patient"), "appt", "", r) }); err != nil {
		t.Fatal(err)
	}
	answered := false
	for _, s := range n.log {
		if a, ok := s.ev.(OutgoingAnswer); ok && s.to.User == "doctor" && s.to.Device == "phone" && a.Answer == "accepted" {
			answered = true
		}
	}
	if !answered {
		t.Fatal("the answer did not reach the doctor's device")
	}
	if got := h.all(); !strings.Contains(got, "join appt doctor api\n") || !strings.Contains(got, "leave appt doctor handedOver\njoin appt doctor phone") {
		t.Fatalf("history:\n%s", got)
	}
}

func TestServerSetDeviceIsEnforced(t *testing.T) {
	m, n, _ := newHistoryManager(t)
	req := inviteReq(30*time.Second, "bob")
	req.CallID = "c2"
	if _, err := call(t, func(r Reply) { m.Invite(caller("alice"), req, r) }); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, func(r Reply) { m.Accept(caller("bob"), "c2", "", r) }); err != nil {
		t.Fatal(err)
	}
	f := false
	if _, err := call(t, func(r Reply) { m.ServerSetDevice("c2", "bob", nil, &f, r) }); err != nil {
		t.Fatal(err)
	}
	got := false
	for _, e := range n.events("bob") {
		if dc, ok := e.(DeviceControl); ok && !dc.Request && dc.Microphone != nil && !*dc.Microphone && dc.By == ServerActor {
			got = true
		}
	}
	if !got {
		t.Fatal("bob got no deviceControlled from the server")
	}
	if _, err := call(t, func(r Reply) { m.ServerSetDevice("c2", "nobody", nil, &f, r) }); err == nil {
		t.Fatal("a non-member was controlled")
	}
	if _, err := call(t, func(r Reply) { m.ServerEnd("nope", r) }); err == nil {
		t.Fatal("ended a call that does not exist")
	}
}
