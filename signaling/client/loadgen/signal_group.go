package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// group is three users (A calls, B is called, C is the third party of the
// busy flow and the one that signs in again in the hello flow), each on
// its own connection. One goroutine plays a group's flows.
type group struct {
	run   *signalRun
	index int
	users [3]string
	conns [3]*client.Client
	// call is the call of the flow in progress, cleared when it ended
	// cleanly; cCall is C's call in the busy flow.
	call, cCall string
	// nextSend is when each connection may send its next request, so
	// that no connection exceeds SignalConfig.ConnRate (the server's
	// per-connection rate limit would refuse the excess).
	nextSend [3]time.Time
}

// turn waits until connection who may send a request.
func (g *group) turn(who int) {
	rate := g.run.cfg.ConnRate
	if rate <= 0 {
		return
	}
	now := time.Now()
	at := g.nextSend[who]
	if at.Before(now) {
		at = now
	}
	g.nextSend[who] = at.Add(time.Duration(float64(time.Second) / rate))
	if d := at.Sub(now); d > 0 {
		time.Sleep(d) // pacing the generator, not synchronising with the server
	}
}

const (
	userA = iota
	userB
	userC
)

// connect opens the group's three connections.
func (g *group) connect(ctx context.Context) error {
	for i := range g.conns {
		c, err := g.run.dialAt(ctx, g.users[i], uint64(3*g.index+i))
		if err != nil {
			return err
		}
		g.conns[i] = c
	}
	return nil
}

// connected reports whether all three connections are up.
func (g *group) connected() bool {
	for _, c := range g.conns {
		if c == nil {
			return false
		}
		select {
		case <-c.Done():
			return false
		default:
		}
	}
	return true
}

// close ends the group's connections.
func (g *group) close() {
	for _, c := range g.conns {
		if c != nil {
			_ = c.Close()
		}
	}
}

// play runs one flow and records it; after a failure it puts the group
// back in a clean state.
func (g *group) play(flow string) {
	if !g.connected() {
		g.recover()
		if !g.connected() {
			// The server is unreachable: count the flow as failed and
			// back off a little rather than spin on refused dials.
			g.run.rec.flow(flow, 0, true)
			g.run.rec.op(signaling.TypeHello, 0, fmt.Errorf("group has no connection: %w", client.ErrClosed))
			time.Sleep(100 * time.Millisecond)
			return
		}
	}
	start := time.Now()
	var err error
	switch flow {
	case FlowAccept:
		err = g.accept()
	case FlowCancel:
		err = g.cancel()
	case FlowDecline:
		err = g.decline()
	case FlowBusy:
		err = g.busy()
	case FlowHello:
		err = g.hello()
	}
	g.run.rec.flow(flow, time.Since(start), err != nil)
	if err != nil {
		g.run.log.Debug().Err(err).Str("flow", flow).Msg("flow failed")
		g.recover()
	}
	for _, c := range g.conns {
		if c != nil {
			c.Discard()
		}
	}
}

// ctx bounds one request or wait.
func (g *group) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), g.run.cfg.Timeout)
}

// invite sends from's invitation to B and returns the call id and B's
// state in the result.
func (g *group) invite(from int) (callID, state string, sent time.Time, err error) {
	g.turn(from)
	ctx, cancel := g.ctx()
	defer cancel()
	sent = time.Now()
	res, err := g.conns[from].Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: g.users[userB]}}})
	if g.run.rec.op(signaling.TypeInvite, time.Since(sent), err) != nil {
		return "", "", sent, err
	}
	if len(res.Invitees) != 1 {
		return res.CallID, "", sent, g.run.rec.op(signaling.TypeInvite, 0, fmt.Errorf("invite result lists %d invitees: %w", len(res.Invitees), errUnexpected))
	}
	return res.CallID, res.Invitees[0].State, sent, nil
}

// wait waits on user who for an event of typ in callID and records it as
// name, timed from since.
func (g *group) wait(who int, typ, callID, name string, since time.Time) error {
	ctx, cancel := g.ctx()
	defer cancel()
	ev, err := g.conns[who].WaitFor(ctx, typ, func(ev client.Event) bool { return eventCallID(ev) == callID })
	return g.run.rec.op(name, ev.At.Sub(since), err)
}

// request sends one request of user who through do and records it as
// name.
// It returns when the request was sent, from which the events it causes
// are timed.
func (g *group) request(who int, name string, do func(ctx context.Context) error) (time.Time, error) {
	g.turn(who)
	ctx, cancel := g.ctx()
	defer cancel()
	t0 := time.Now()
	err := do(ctx)
	return t0, g.run.rec.op(name, time.Since(t0), err)
}

// ring is the common start: A invites B and B's incomingCall arrives
// (recorded as "ring", timed from the invite).
func (g *group) ring() error {
	call, state, sent, err := g.invite(userA)
	g.call = call
	if err != nil {
		return err
	}
	if state != "waiting" {
		return g.run.rec.op(signaling.TypeInvite, 0, fmt.Errorf("B is %q, not waiting: %w", state, errUnexpected))
	}
	return g.wait(userB, signaling.TypeIncomingCall, call, "ring", sent)
}

func (g *group) accept() error {
	if err := g.ring(); err != nil {
		return err
	}
	a, b, call := g.conns[userA], g.conns[userB], g.call
	t0, err := g.request(userB, signaling.TypeAccept, func(ctx context.Context) error { _, err := b.Accept(ctx, call, ""); return err })
	if err != nil {
		return err
	}
	if err := g.wait(userA, signaling.TypeOutgoingCallAccepted, call, "accepted", t0); err != nil {
		return err
	}
	if _, err := g.request(userA, signaling.TypeLeave, func(ctx context.Context) error { return a.Leave(ctx, call) }); err != nil {
		return err
	}
	if _, err := g.request(userB, signaling.TypeLeave, func(ctx context.Context) error { return b.Leave(ctx, call) }); err != nil {
		return err
	}
	g.call = ""
	return nil
}

func (g *group) cancel() error {
	if err := g.ring(); err != nil {
		return err
	}
	a, call := g.conns[userA], g.call
	t0, err := g.request(userA, signaling.TypeCancel, func(ctx context.Context) error { return a.Cancel(ctx, call, nil, "") })
	if err != nil {
		return err
	}
	if err := g.wait(userB, signaling.TypeIncomingCallCanceled, call, "canceled", t0); err != nil {
		return err
	}
	if err := g.wait(userA, signaling.TypeCallEnded, call, "ended", t0); err != nil {
		return err
	}
	g.call = ""
	return nil
}

func (g *group) decline() error {
	if err := g.ring(); err != nil {
		return err
	}
	b, call := g.conns[userB], g.call
	t0, err := g.request(userB, signaling.TypeReject, func(ctx context.Context) error { return b.Reject(ctx, call, "declined", "") })
	if err != nil {
		return err
	}
	if err := g.wait(userA, signaling.TypeOutgoingCallDeclined, call, "declined", t0); err != nil {
		return err
	}
	if err := g.wait(userA, signaling.TypeCallEnded, call, "ended", t0); err != nil {
		return err
	}
	g.call = ""
	return nil
}

func (g *group) busy() error {
	if err := g.ring(); err != nil {
		return err
	}
	cCall, state, sent, err := g.invite(userC)
	g.cCall = cCall
	if err != nil {
		return err
	}
	if state != "busy" {
		return g.run.rec.op(signaling.TypeInvite, 0, fmt.Errorf("B is %q to C, not busy: %w", state, errUnexpected))
	}
	if err := g.wait(userC, signaling.TypeOutgoingCallRejectedCauseBusy, cCall, "busy", sent); err != nil {
		return err
	}
	if err := g.wait(userC, signaling.TypeCallEnded, cCall, "ended", sent); err != nil {
		return err
	}
	g.cCall = ""
	a, call := g.conns[userA], g.call
	t0, err := g.request(userA, signaling.TypeCancel, func(ctx context.Context) error { return a.Cancel(ctx, call, nil, "") })
	if err != nil {
		return err
	}
	if err := g.wait(userB, signaling.TypeIncomingCallCanceled, call, "canceled", t0); err != nil {
		return err
	}
	if err := g.wait(userA, signaling.TypeCallEnded, call, "ended", t0); err != nil {
		return err
	}
	g.call = ""
	return nil
}

// hello closes C's connection and signs C in again on the next URL.
func (g *group) hello() error {
	if c := g.conns[userC]; c != nil {
		_ = c.Close()
		g.conns[userC] = nil
	}
	ctx, cancel := g.ctx()
	defer cancel()
	t0 := time.Now()
	c, err := g.run.dial(ctx, g.users[userC])
	if g.run.rec.op(signaling.TypeHello, time.Since(t0), err) != nil {
		return err
	}
	g.conns[userC], g.nextSend[userC] = c, time.Time{}
	return nil
}

// recover ends whatever a failed flow left behind: it cancels and leaves
// the flow's calls and replaces connections that ended. Its own failures
// are not counted; a group that cannot recover fails its next flows.
func (g *group) recover() {
	ctx, cancel := g.ctx()
	defer cancel()
	for i, c := range g.conns {
		if c != nil {
			select {
			case <-c.Done():
			default:
				continue // still connected
			}
		}
		if nc, err := g.run.dial(ctx, g.users[i]); err == nil {
			g.conns[i], g.nextSend[i] = nc, time.Time{}
		} else {
			g.conns[i] = nil
		}
	}
	if g.call != "" {
		if a := g.conns[userA]; a != nil {
			g.turn(userA)
			_ = a.Cancel(ctx, g.call, nil, "")
			g.turn(userA)
			_ = a.Leave(ctx, g.call)
		}
		if b := g.conns[userB]; b != nil {
			g.turn(userB)
			_ = b.Leave(ctx, g.call)
		}
		g.call = ""
	}
	if g.cCall != "" {
		if c := g.conns[userC]; c != nil {
			g.turn(userC)
			_ = c.Leave(ctx, g.cCall)
		}
		g.cCall = ""
	}
}

// eventCallID is the callID an event of the flows refers to.
func eventCallID(ev client.Event) string {
	switch d := ev.Data.(type) {
	case *signaling.IncomingCall:
		return d.CallID
	case *signaling.IncomingCallCanceled:
		return d.CallID
	case *signaling.OutgoingCallAnswer:
		return d.CallID
	case *signaling.CallEnded:
		return d.CallID
	}
	return ""
}
