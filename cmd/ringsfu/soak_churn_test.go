package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// churnStats counts what the churn workload did and which errors it got.
type churnStats struct {
	ops     atomic.Int64 // requests sent
	resumes atomic.Int64 // sessions resumed after a forced drop

	mu     sync.Mutex
	errors map[string]int    // by wire code, "timeout" or "transport"
	bySite map[string]int    // op: code, for the report
	first  map[string]string // op: code → the first such error's text
}

// record counts err (nil: nothing) of operation op.
func (s *churnStats) record(op string, err error) {
	if err == nil {
		return
	}
	code := client.Code(err)
	switch {
	case code != "":
	case errors.Is(err, context.DeadlineExceeded):
		code = "timeout"
	default:
		code = "transport"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == nil {
		s.errors, s.bySite, s.first = map[string]int{}, map[string]int{}, map[string]string{}
	}
	s.errors[code]++
	site := op + ": " + code
	s.bySite[site]++
	if _, ok := s.first[site]; !ok {
		s.first[site] = err.Error()
	}
}

// count returns how many errors of code were recorded.
func (s *churnStats) count(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errors[code]
}

// summary lists the errors by operation and code.
func (s *churnStats) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for k, n := range s.bySite {
		parts = append(parts, fmt.Sprintf("%s ×%d (%.80s)", k, n, s.first[k]))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// churnUser is one signed-in user of the churn workload; its group's
// goroutine owns it.
type churnUser struct {
	id      string
	token   string
	url     string
	devices int // devices signed in so far; each redial is a new device
	c       *client.Client
}

// dial signs the user in, resuming session resume when it is not empty.
func (u *churnUser) dial(ctx context.Context, resume string) error {
	if resume == "" {
		u.devices++
	}
	device := fmt.Sprintf("soak-%d", u.devices)
	c, err := client.Dial(ctx, client.Config{URL: u.url, Token: u.token, DeviceID: device, Resume: resume})
	if err != nil {
		return err
	}
	u.c = c
	return nil
}

// churnGroup is four users that call each other in turns: every request
// type of the protocol's signaling part, in scenarios that end with nobody
// in a call and nothing ringing.
type churnGroup struct {
	id    int
	users [4]*churnUser
	stats *churnStats
	calls int
	rng   *rand.Rand
}

// opTimeout bounds every wait of a scenario.
const opTimeout = 10 * time.Second

// run plays random scenarios until ctx ends; it closes the users' clients
// before it returns.
func (g *churnGroup) run(ctx context.Context) {
	defer func() {
		for _, u := range g.users {
			if u.c != nil {
				u.c.Close()
			}
		}
	}()
	scenarios := []func(context.Context){
		g.inviteAccept, g.declineBusyCancel, g.joinKick, g.busy, g.resumeAfterDrop, g.timeoutAndInitiatorLeaves,
	}
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(context.Background(), 4*opTimeout)
		scenarios[g.rng.IntN(len(scenarios))](sctx)
		cancel()
		for _, u := range g.users {
			if u.c == nil {
				continue
			}
			select {
			case <-u.c.Done(): // dropped by the server (e.g. slow consumer): sign in again
				u.c = nil
				dctx, cancel := context.WithTimeout(context.Background(), opTimeout)
				g.stats.record("redial", u.dial(dctx, ""))
				cancel()
			default:
				u.c.Discard()
			}
		}
	}
}

// callID returns a fresh call id of this group.
func (g *churnGroup) callID() string {
	g.calls++
	return fmt.Sprintf("soak-g%d-c%d", g.id, g.calls)
}

// do runs one request and records its error.
func (g *churnGroup) do(op string, err error) error {
	g.stats.ops.Add(1)
	g.stats.record(op, err)
	return err
}

// errNotRinging says that an invitee was not rung (it was busy elsewhere,
// e.g. still in a call whose connection dropped within the resume grace).
var errNotRinging = errors.New("not rung")

// ring waits for u's incomingCall of the invitation res, if res rang u.
func (g *churnGroup) ring(ctx context.Context, u *churnUser, res signaling.InviteResult) error {
	rung := false
	for _, o := range res.Invitees {
		rung = rung || o.User.ID == u.id && o.State == "waiting"
	}
	if !rung {
		return errNotRinging
	}
	callID := res.CallID
	wctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := u.c.WaitFor(wctx, signaling.TypeIncomingCall, func(ev client.Event) bool {
		ic, ok := ev.Data.(*signaling.IncomingCall)
		return ok && ic.CallID == callID
	})
	g.stats.record("wait incomingCall", err)
	return err
}

// waitEvent waits for u's event typ of callID.
func (g *churnGroup) waitEvent(ctx context.Context, u *churnUser, typ, callID string) error {
	wctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := u.c.WaitFor(wctx, typ, func(ev client.Event) bool { return strings.Contains(string(ev.Raw), `"`+callID+`"`) })
	g.stats.record("wait "+typ, err)
	return err
}

// leave hangs up; a call that already ended answers not_found, which is not
// an error here.
func (g *churnGroup) leave(ctx context.Context, u *churnUser, callID string) {
	err := u.c.Leave(ctx, callID)
	if client.Code(err) == signaling.CodeNotFound {
		err = nil
	}
	_ = g.do("leave", err)
}

// inviteAccept: a 1:1 call with a ping, device changes and a remote mute.
func (g *churnGroup) inviteAccept(ctx context.Context) {
	a, b := g.users[0], g.users[1]
	_ = g.do("ping", a.c.Ping(ctx))
	res, err := a.c.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: b.id}}})
	if g.do("invite", err) != nil {
		return
	}
	if g.ring(ctx, b, res) != nil {
		g.leave(ctx, a, res.CallID)
		return
	}
	_, err = b.c.Accept(ctx, res.CallID, "")
	if g.do("accept", err) == nil {
		_ = g.do("setDevice", a.c.SetDevice(ctx, signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(false), Microphone: client.Bool(true)}))
		_ = g.do("setRemoteDevice", a.c.SetRemoteDevice(ctx, signaling.SetRemoteDeviceRequest{CallID: res.CallID, UserID: b.id, Microphone: client.Bool(false)}))
		_ = g.do("setDevice", b.c.SetDevice(ctx, signaling.SetDeviceRequest{CallID: res.CallID, Camera: client.Bool(true)}))
	}
	first, second := a, b
	if g.rng.IntN(2) == 0 {
		first, second = b, a
	}
	g.leave(ctx, first, res.CallID)
	g.leave(ctx, second, res.CallID)
}

// declineBusyCancel: a group invitation declined by one, refused as busy by
// another, withdrawn for the third; the caller then hangs up.
func (g *churnGroup) declineBusyCancel(ctx context.Context) {
	a, b, c, d := g.users[0], g.users[1], g.users[2], g.users[3]
	res, err := a.c.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: b.id}, {ID: c.id}, {ID: d.id}}})
	if g.do("invite", err) != nil {
		return
	}
	if g.ring(ctx, b, res) == nil {
		_ = g.do("decline", b.c.Reject(ctx, res.CallID, "declined", ""))
	}
	if g.ring(ctx, c, res) == nil {
		_ = g.do("reject busy", c.c.Reject(ctx, res.CallID, "busy", ""))
	}
	if g.ring(ctx, d, res) == nil {
		_ = g.do("cancel", a.c.Cancel(ctx, res.CallID, []string{d.id}, ""))
	}
	g.leave(ctx, a, res.CallID)
}

// joinKick: three join a call by id, the initiator kicks one out, the
// others leave.
func (g *churnGroup) joinKick(ctx context.Context) {
	a, b, c := g.users[0], g.users[1], g.users[2]
	id := g.callID()
	if _, err := a.c.Join(ctx, signaling.JoinRequest{CallID: id, Type: "video"}); g.do("join", err) != nil {
		return
	}
	for _, u := range []*churnUser{b, c} {
		_, err := u.c.Join(ctx, signaling.JoinRequest{CallID: id})
		_ = g.do("join", err)
	}
	_ = g.do("remove", a.c.Remove(ctx, id, c.id))
	g.leave(ctx, c, id) // already removed: not_in_call
	g.leave(ctx, b, id)
	g.leave(ctx, a, id)
}

// busy: while b is in a call, c's invitation to b is refused as busy by
// the server.
func (g *churnGroup) busy(ctx context.Context) {
	a, b, c := g.users[0], g.users[1], g.users[2]
	res, err := a.c.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: b.id}}})
	if g.do("invite", err) != nil {
		return
	}
	if g.ring(ctx, b, res) == nil {
		_, err := b.c.Accept(ctx, res.CallID, "")
		_ = g.do("accept", err)
	}
	res2, err := c.c.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: b.id}}})
	if g.do("invite busy", err) == nil {
		g.leave(ctx, c, res2.CallID)
	}
	g.leave(ctx, b, res.CallID)
	g.leave(ctx, a, res.CallID)
}

// resumeAfterDrop: two in a call; one loses its WebSocket and resumes its
// session, changes its devices and hangs up; the other's connection drops
// for good (its session ends after the resume grace) and it signs in anew.
func (g *churnGroup) resumeAfterDrop(ctx context.Context) {
	a, b := g.users[0], g.users[1]
	id := g.callID()
	if _, err := a.c.Join(ctx, signaling.JoinRequest{CallID: id, Type: "video"}); g.do("join", err) != nil {
		return
	}
	_, err := b.c.Join(ctx, signaling.JoinRequest{CallID: id})
	_ = g.do("join", err)
	session := a.c.SessionID()
	a.c.Drop()
	if g.do("resume", a.dial(ctx, session)) == nil {
		g.stats.resumes.Add(1)
		_ = g.do("setDevice", a.c.SetDevice(ctx, signaling.SetDeviceRequest{CallID: id, Microphone: client.Bool(false)}))
	} else if g.do("redial", a.dial(ctx, "")) != nil {
		a.c = nil
		return
	}
	g.leave(ctx, a, id)
	if g.rng.IntN(2) == 0 {
		// Half the time b hangs up first; otherwise it stays a member
		// until its session's resume grace runs out (and a join in
		// that time is refused as busy).
		g.leave(ctx, b, id)
	}
	b.c.Drop()
	if g.do("redial", b.dial(ctx, "")) != nil {
		b.c = nil
		return
	}
	// From its new device b hangs up the call its old one may still be
	// in (not_found when it had left or the grace already ran out).
	g.leave(ctx, b, id)
}

// timeoutAndInitiatorLeaves: a call with endCallWhenInitiatorLeave where
// one invitee accepts and one lets it ring out; the initiator's leaving
// ends the call. Then a 1:1 invitation rings out unanswered.
func (g *churnGroup) timeoutAndInitiatorLeaves(ctx context.Context) {
	a, b, c, d := g.users[0], g.users[1], g.users[2], g.users[3]
	res, err := a.c.Invite(ctx, signaling.InviteRequest{Type: "video", TimeoutSeconds: client.Int(1),
		Invitees:   []signaling.User{{ID: b.id}, {ID: c.id}},
		CallConfig: &signaling.CallConfig{EndCallWhenInitiatorLeave: client.Bool(true)}})
	if g.do("invite", err) == nil {
		accepted := false
		if g.ring(ctx, b, res) == nil {
			_, err := b.c.Accept(ctx, res.CallID, "")
			accepted = g.do("accept", err) == nil
		}
		if g.ring(ctx, c, res) == nil {
			_ = g.waitEvent(ctx, c, signaling.TypeIncomingCallTimeout, res.CallID)
		}
		g.leave(ctx, a, res.CallID)
		if accepted {
			_ = g.waitEvent(ctx, b, signaling.TypeCallEnded, res.CallID)
		}
	}
	res, err = d.c.Invite(ctx, signaling.InviteRequest{Type: "voice", TimeoutSeconds: client.Int(1), Invitees: []signaling.User{{ID: a.id}}})
	if g.do("invite", err) == nil {
		if g.ring(ctx, a, res) == nil {
			_ = g.waitEvent(ctx, d, signaling.TypeOutgoingCallTimeout, res.CallID)
		}
		g.leave(ctx, d, res.CallID)
	}
}
