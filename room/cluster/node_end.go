package cluster

import (
	"context"

	"github.com/ringsfu/ringsfu/room"
)

var _ room.CallEnder = (*Node)(nil)

// EndCall implements room.CallEnder: the call ended here, so the busy
// slots of users that name it, its snapshot, its place in this node's
// owned set and its lease go in one fenced script (Release and Disown in
// one round trip). A call this node already lost is left to its owner; a
// node shutting down leaves everything for the takeover.
func (n *Node) EndCall(call room.CallID, users []room.UserID) {
	n.mu.Lock()
	if n.frozen {
		n.mu.Unlock()
		return
	}
	l, ok := n.leases[call]
	delete(n.leases, call)
	ops := n.queued[call]
	delete(n.queued, call)
	n.mu.Unlock()
	if !ok {
		return
	}
	var done []string // queued adds are moot: the call's timers were stopped
	for _, o := range ops {
		if o.done {
			done = append(done, o.what)
		}
	}
	if err := n.s.EndCall(context.Background(), l, done, users); err != nil {
		n.log.Warn().Err(err).Str("call_id", string(call)).Msg("end call in cluster store")
	}
}
