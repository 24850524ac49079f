package cluster

import (
	"context"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// nodeTimer is one pending durable deadline of a call this node owns.
type nodeTimer struct {
	n     *Node
	call  room.CallID
	what  string
	fire  func()
	due   time.Time // by this node's clock
	once  sync.Once
	local *time.Timer // fallback when the deadline could not be stored
}

// Schedule implements room.Deadlines: the deadline is stored in Redis
// (durable: if this node dies, whoever takes the call over fires it) and
// fired by this node's sweeper. The write is queued and goes with the
// room command's snapshot (deadline_batch.go). When Redis cannot be
// asked, the deadline falls back to a local timer, so a running call
// still rings out.
func (n *Node) Schedule(call room.CallID, what string, d time.Duration, fire func()) room.Timer {
	t := &nodeTimer{n: n, call: call, what: what, fire: fire, due: time.Now().Add(d)}
	key := member(call, what)
	n.mu.Lock()
	n.timers[key] = t
	_, owned := n.leases[call]
	if owned && !n.frozen {
		n.queueDeadlineLocked(call, deadlineOp{what: what, due: t.due, timer: t})
		n.mu.Unlock()
		return t
	}
	t.local = time.AfterFunc(d, func() { n.fireTimer(key, t) })
	n.mu.Unlock()
	n.log.Warn().Bool("owned", owned).Str("call_id", string(call)).Str("what", what).Msg("durable deadline unavailable (call not owned here, or shutting down); local timer")
	return t
}

// Stop implements room.Timer.
func (t *nodeTimer) Stop() bool {
	key := member(t.call, t.what)
	t.n.mu.Lock()
	pending := t.n.timers[key] == t
	if pending {
		delete(t.n.timers, key)
	}
	local := t.local
	_, owned := t.n.leases[t.call]
	if pending && owned && !t.n.frozen {
		// Sent with the command's snapshot (deadline_batch.go).
		t.n.queueDeadlineLocked(t.call, deadlineOp{what: t.what, done: true})
	}
	t.n.mu.Unlock()
	if local != nil {
		local.Stop()
	}
	return pending
}

// fireTimer runs t's fire once if it is still pending.
func (n *Node) fireTimer(key string, t *nodeTimer) {
	n.mu.Lock()
	pending := n.timers[key] == t
	if pending {
		delete(n.timers, key)
	}
	n.mu.Unlock()
	if pending {
		t.once.Do(t.fire)
	}
}

// sweepLoop claims due deadlines every SweepInterval until ctx ends.
func (n *Node) sweepLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n.sweep(ctx)
	}
}

// sweep fires this node's due deadlines, acknowledges them, and hands
// orphans to NodeConfig.Orphan.
func (n *Node) sweep(ctx context.Context) {
	n.flushStale(n.cfg.SweepInterval)
	due, err := n.s.ClaimDue(ctx, 256, n.cfg.Redeliver)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn().Err(err).Msg("claim due deadlines")
		}
		return
	}
	for _, d := range due {
		if d.Orphan {
			switch {
			case n.cfg.Orphan != nil:
				n.cfg.Orphan(d)
			case n.cfg.Restore != nil:
				// The owner died mid-ring: take the call over now; the
				// restored room re-arms this deadline, already due.
				if _, err := n.Adopt(ctx, d.Call); err != nil {
					n.log.Warn().Err(err).Str("call_id", string(d.Call)).Msg("adopt call of a due deadline")
				}
			default:
				n.log.Warn().Str("call_id", string(d.Call)).Str("what", d.What).Msg("due deadline of a call without owner")
			}
			continue
		}
		// Acknowledge first: firing may end the call, and with it the
		// lease the acknowledgement needs. Should this node die between
		// the two, the call's new owner re-arms the deadline from the
		// call's snapshot (the invitation is still waiting there).
		if l, err := n.lease(d.Call); err == nil {
			if err := n.s.DoneDeadline(ctx, l, d.What); err != nil {
				n.log.Warn().Err(err).Str("call_id", string(d.Call)).Msg("acknowledge deadline")
			}
		}
		key := member(d.Call, d.What)
		n.mu.Lock()
		t := n.timers[key]
		n.mu.Unlock()
		if t != nil {
			n.fireTimer(key, t)
		}
	}
}

// rearm stores every pending deadline again, with the time it has left
// (after Redis lost them). A deadline that cannot be stored keeps waiting
// for the next re-sync; a local fallback timer is left as it is.
func (n *Node) rearm(ctx context.Context) {
	n.mu.Lock()
	ts := make([]*nodeTimer, 0, len(n.timers))
	for _, t := range n.timers {
		if t.local == nil {
			ts = append(ts, t)
		}
	}
	n.mu.Unlock()
	for _, t := range ts {
		l, err := n.lease(t.call)
		if err != nil {
			continue
		}
		if _, err := n.s.AddDeadline(ctx, l, t.what, max(time.Until(t.due), 0)); err != nil {
			n.log.Warn().Err(err).Str("call_id", string(t.call)).Msg("re-arm deadline")
		}
	}
}
