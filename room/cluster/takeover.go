package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

var _ room.Persister = (*Node)(nil)

// Persist implements room.Persister: the call's snapshot is stored (or,
// for a call that is ending, removed), fenced by this node's lease. It runs on the room's loop (one Redis round trip).
func (n *Node) Persist(call room.CallID, data []byte, users []room.UserID) {
	var ops []deadlineOp
	if data != nil {
		ops = n.takeQueued(call) // an ending call's go with its EndCall
	}
	l, err := n.lease(call)
	switch {
	case err != nil:
		// The call is not this node's any more (or it shuts down): the
		// queued deadline writes are moot.
	case data == nil:
		err = n.s.DropSnapshot(context.Background(), l)
	case len(ops) > 0:
		err = n.s.saveWithDeadlines(context.Background(), l, data, users, ops)
		n.deadlinesWritten(call, ops, err)
	default:
		err = n.s.SaveSnapshot(context.Background(), l, data, users)
	}
	if err != nil && !errors.Is(err, errFrozen) {
		n.log.Warn().Err(err).Str("call_id", string(call)).Msg("persist call snapshot")
	}
}

// Adopt takes over a call whose owner is gone: it acquires the lease,
// loads the snapshot and hands it to NodeConfig.Restore, which starts the
// room here. It reports whether this node now owns the call. A call
// another node holds (it adopted it first, or its owner is alive) is left
// alone; a call without snapshot (it ended) is cleaned up. A call this node
// already runs counts as adopted and is left as it is.
func (n *Node) Adopt(ctx context.Context, call room.CallID) (bool, error) {
	if n.cfg.Restore == nil {
		return false, errors.New("cluster: NodeConfig.Restore is not set")
	}
	// A call this node already runs (a direct hand-over brought it here
	// while the dead node's owned set still names it) is adopted: taking
	// a new token and restoring it again would fail and release the lease
	// of a running call.
	n.mu.Lock()
	_, mine := n.leases[call]
	n.mu.Unlock()
	if mine {
		return true, nil
	}
	start := time.Now()
	l, err := n.s.Acquire(ctx, call)
	if errors.Is(err, ErrHeld) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	data, ok, err := n.s.LoadSnapshot(ctx, call)
	if err != nil {
		_ = n.s.ReleaseLease(ctx, l)
		return false, err
	}
	if !ok {
		return false, n.s.EndCall(ctx, l, nil, nil)
	}
	n.mu.Lock()
	n.leases[call] = l
	n.until[call] = n.validUntil(start)
	n.mu.Unlock()
	if err := n.cfg.Restore(data); err != nil {
		n.mu.Lock()
		delete(n.leases, call)
		n.mu.Unlock()
		_ = n.s.ReleaseLease(ctx, l)
		return false, err
	}
	n.log.Info().Str("call_id", string(call)).Int64("token", l.Token).Msg("call taken over")
	return true, nil
}

// adoptOrphans adopts the calls of every node whose heartbeat expired, and
// forgets those nodes once nothing of theirs is left. Several nodes may do
// this at once: the lease decides who adopts each call.
func (n *Node) adoptOrphans(ctx context.Context) {
	_, dead, err := n.s.Nodes(ctx)
	if err != nil {
		return
	}
	for _, d := range dead {
		calls, err := n.s.OrphansOf(ctx, d)
		if err != nil {
			return
		}
		for _, c := range calls {
			if _, err := n.Adopt(ctx, c); err != nil {
				n.log.Warn().Err(err).Str("call_id", string(c)).Str("dead_node", d).Msg("adopt call")
				continue
			}
			_ = n.s.Disown(ctx, d, c)
		}
		if ok, _ := n.s.ForgetNode(ctx, d); ok {
			n.log.Info().Str("dead_node", d).Msg("node gone; its calls were adopted")
		}
	}
}

// orphanLoop scans for dead nodes' calls every interval until ctx ends.
func (n *Node) orphanLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.cfg.Restore != nil && n.s.OwnFresh() {
			n.adoptOrphans(ctx)
		}
	}
}

// errFrozen is what writes of call state get once the node is shutting
// down (Freeze): they are skipped, so that the calls' shared state stays
// for the nodes that take them over.
var errFrozen = errors.New("cluster: node is handing its calls over")

// Freeze prepares a graceful shutdown: from now on, closing this node's
// rooms changes no shared state (no release of busy slots, no end of the
// call, no cancelled deadline), and the node takes no new call. Leases
// stay renewed until HandOver.
func (n *Node) Freeze() {
	n.mu.Lock()
	n.frozen = true
	n.mu.Unlock()
}

// KindAdopt is the relay message a node that shuts down sends to another
// node for each call it hands over: its body is the call id, and the
// receiver adopts that call at once (Node.Adopt) instead of at its next
// scan for dead nodes.
const KindAdopt = "cluster.adopt"

// HandOver gives every call this node owns to the cluster: each lease is
// released (compare-and-delete; the snapshot stays), each call is sent to
// a live node that is not draining, which adopts it at once (KindAdopt,
// through r; the least loaded first, spreading the calls), and the node's
// heartbeat is removed, so that the other nodes see it gone and adopt at
// their next scan whatever was not sent. Call it after Freeze, once the
// rooms here are closed. A nil r leaves every call to the scans.
func (n *Node) HandOver(ctx context.Context, r *Relay) error {
	n.mu.Lock()
	ls := make([]Lease, 0, len(n.leases))
	for _, l := range n.leases {
		ls = append(ls, l)
	}
	n.leases = make(map[room.CallID]Lease)
	n.left = true
	n.mu.Unlock()
	var first error
	for _, l := range ls {
		if err := n.s.ReleaseLease(ctx, l); err != nil && first == nil {
			first = err
		}
	}
	sent := 0
	if r != nil && len(ls) > 0 {
		sent = n.sendCalls(ctx, r, ls)
	}
	if err := n.s.Leave(ctx); err != nil && first == nil {
		first = err
	}
	n.log.Info().Int("calls", len(ls)).Int("sent", sent).Msg("calls handed over")
	return first
}

// sendCalls tells live, fresh, non-draining nodes to adopt the calls of
// ls, each to the node with the fewest calls so far, and returns how many
// were sent.
func (n *Node) sendCalls(ctx context.Context, r *Relay, ls []Lease) int {
	live, _, err := n.s.Nodes(ctx)
	if err != nil {
		n.log.Warn().Err(err).Msg("hand-over: list nodes")
		return 0
	}
	var cands []NodeInfo
	for _, ni := range live {
		if ni.ID != n.s.NodeID() && ni.Fresh && !ni.Load.Draining {
			cands = append(cands, ni)
		}
	}
	sent := 0
	for _, l := range ls {
		if len(cands) == 0 {
			break
		}
		best := 0
		for i, c := range cands {
			if c.Load.Calls < cands[best].Load.Calls {
				best = i
			}
		}
		if err := r.SendTo(ctx, cands[best].ID, KindAdopt, []byte(l.Call)); err != nil {
			n.log.Warn().Err(err).Str("call_id", string(l.Call)).Str("node", cands[best].ID).Msg("hand-over: send call")
			continue
		}
		cands[best].Load.Calls++
		sent++
	}
	return sent
}

// orphanSlotScript: ARGV prefix, user. The call of the user's slot when
// that call has no lease but a snapshot (it can be taken over); nil
// otherwise.
var orphanSlotScript = redis.NewScript(`
local v = redis.call('GET', ARGV[1] .. 'busy:' .. ARGV[2])
if not v then return false end
local c = string.match(v, '^([^|]+)|')
if not c then return false end
if redis.call('EXISTS', ARGV[1] .. 'call:' .. c .. ':lease') == 1 then return false end
if redis.call('EXISTS', ARGV[1] .. 'call:' .. c .. ':snap') == 0 then return false end
return c
`)

// Orphaned returns the call u holds a slot in when nobody owns that call
// but its snapshot lets a node take it over (its owner died, or handed it
// over, and no node adopted it yet); ok is false otherwise.
func (n *Node) Orphaned(ctx context.Context, u room.UserID) (room.CallID, bool, error) {
	ctx, cancel := n.s.op(ctx)
	defer cancel()
	c, err := orphanSlotScript.Run(ctx, n.s.rdb, nil, n.s.cfg.Prefix, string(u)).Text()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("orphaned slot", err)
	}
	return room.CallID(c), true, nil
}
