package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

var _ room.Persister = (*Node)(nil)

// Persist implements room.Persister: the call's snapshot is stored, fenced
// by this node's lease. It runs on the room's loop (one Redis round trip).
func (n *Node) Persist(call room.CallID, data []byte, users []room.UserID) {
	l, err := n.lease(call)
	if err == nil {
		err = n.s.SaveSnapshot(context.Background(), l, data, users)
	}
	if err != nil {
		n.log.Warn().Err(err).Str("call_id", string(call)).Msg("persist call snapshot")
	}
}

// Adopt takes over a call whose owner is gone: it acquires the lease,
// loads the snapshot and hands it to NodeConfig.Restore, which starts the
// room here. It reports whether this node now owns the call. A call
// another node holds (it adopted it first, or its owner is alive) is left
// alone; a call without snapshot (it ended) is cleaned up.
func (n *Node) Adopt(ctx context.Context, call room.CallID) (bool, error) {
	if n.cfg.Restore == nil {
		return false, errors.New("cluster: NodeConfig.Restore is not set")
	}
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
