package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
)

// NodeConfig configures a Node. Zero fields take the documented defaults.
type NodeConfig struct {
	// Logger is the parent logger. Default: disabled.
	Logger zerolog.Logger
	// Load reports this node's load for its heartbeat; Calls is filled in
	// with the number of calls the node owns when Load leaves it zero.
	// Default: zero load.
	Load func() Load
	// LeaseLost is called, from the Node's renewal goroutine, for each
	// call whose lease the node lost to another node (fenced): its room
	// must stop without emitting anything and close its media. It must
	// not block. Default: logged only.
	LeaseLost func(room.CallID)
	// Orphan is called, from the sweeper goroutine, for a due deadline of
	// a call that has no owner (its node died): the node should take the
	// call over and fire it. It must not block. Default: logged only (the
	// deadline is claimed again after the redelivery window).
	Orphan func(Deadline)
	// SweepInterval is how often the node claims due deadlines. Default
	// 100 ms: a ring timeout fires at most this late while its owner lives.
	SweepInterval time.Duration
	// Redeliver is how long a claimed deadline stays with its claimer
	// before another sweep may claim it again. Default 5 s.
	Redeliver time.Duration
	// Policy says when a node is overloaded, for placement.
	Policy Policy
	// Draining, when set and true, marks this node as taking no new calls
	// (graceful drain); it is reported in the heartbeat.
	Draining func() bool
	// Restore, when set, starts a room from a snapshot (the room
	// Manager's Restore): with it the node takes over the calls of dead
	// nodes (takeover.go), found by due deadlines of ownerless calls and
	// by a scan of dead nodes every NodeTTL/2.
	Restore func(snapshot []byte) error
	// Resync, when set, is called (from the renewal goroutine) after a
	// heartbeat succeeds following one that failed: Redis was unreachable,
	// or restarted and may have lost everything, so whatever this node
	// keeps in Redis (presence of its sessions) must be written again.
	// Leases are re-established by the node itself (Reclaim).
	Resync func()
}

// Node is one ringsfu node's share of the cluster state: it implements
// room.UserIndex, room.Ownership and room.Deadlines on a Store, keeping the
// leases of the calls it owns. Run drives its periodic work.
//
// Every call that needs Redis is bounded by the Store's OpTimeout; the
// room Manager and room loops call Own, ReserveRing, ClaimMember, Release
// and Schedule directly, so each costs one Redis round trip on the caller.
type Node struct {
	s   *Store
	cfg NodeConfig
	log zerolog.Logger

	beatFailed bool // owned by the renewal goroutine
	beaten     bool // owned by the renewal goroutine: a heartbeat succeeded once
	needResync bool // owned by the renewal goroutine: call Resync after renewing

	mu     sync.Mutex
	frozen bool                         // guarded by mu: shutting down, shared state is left for takeover
	left   bool                         // guarded by mu: handed over; no more heartbeats
	leases map[room.CallID]Lease        // guarded by mu: calls this node owns
	until  map[room.CallID]time.Time    // guarded by mu: when each lease surely still holds, by this node's clock
	timers map[string]*nodeTimer        // guarded by mu: member(call, what) → pending deadline
	queued map[room.CallID][]deadlineOp // guarded by mu: deadline writes not sent yet (deadline_batch.go)
}

var (
	_ room.UserIndex = (*Node)(nil)
	_ room.Ownership = (*Node)(nil)
	_ room.Deadlines = (*Node)(nil)
)

// NewNode returns a Node on s.
func NewNode(s *Store, cfg NodeConfig) *Node {
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 100 * time.Millisecond
	}
	if cfg.Redeliver <= 0 {
		cfg.Redeliver = 5 * time.Second
	}
	return &Node{
		s:      s,
		cfg:    cfg,
		log:    cfg.Logger.With().Str("node_id", s.NodeID()).Logger(),
		leases: make(map[room.CallID]Lease),
		until:  make(map[room.CallID]time.Time),
		timers: make(map[string]*nodeTimer),
		queued: make(map[room.CallID][]deadlineOp),
	}
}

// Store returns the node's Store.
func (n *Node) Store() *Store { return n.s }

// lease returns the current lease of a call this node owns.
func (n *Node) lease(call room.CallID) (Lease, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.frozen {
		return Lease{}, errFrozen
	}
	l, ok := n.leases[call]
	if !ok {
		return Lease{}, fmt.Errorf("%w: call %s is not owned by node %s", room.ErrUnavailable, call, n.s.NodeID())
	}
	return l, nil
}

// OwnerOf returns the node that owns call; ok is false when nobody does.
func (n *Node) OwnerOf(ctx context.Context, call room.CallID) (node string, ok bool, err error) {
	l, ok, err := n.s.Owner(ctx, call)
	return l.Node, ok, err
}

// NodeID returns this node's id.
func (n *Node) NodeID() string { return n.s.NodeID() }

// Owned returns the number of calls this node owns.
func (n *Node) Owned() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.leases)
}

// Own implements room.Ownership: it acquires the call's lease. A call held
// by another node is room.ErrConflict.
func (n *Node) Own(call room.CallID) error {
	n.mu.Lock()
	frozen := n.frozen
	n.mu.Unlock()
	if frozen {
		return fmt.Errorf("%w: node %s is shutting down", room.ErrUnavailable, n.s.NodeID())
	}
	start := time.Now()
	l, err := n.s.Acquire(context.Background(), call)
	if errors.Is(err, ErrHeld) {
		return fmt.Errorf("%w: %v", room.ErrElsewhere, err)
	}
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.leases[call] = l
	n.until[call] = n.validUntil(start)
	n.mu.Unlock()
	return nil
}

// validUntil is how long a lease written or renewed at start surely holds:
// nine tenths of LeaseTTL, counted from before the request was sent.
func (n *Node) validUntil(start time.Time) time.Time {
	return start.Add(n.s.Config().LeaseTTL * 9 / 10)
}

// Valid implements room.Ownership: this node holds call's lease and knows,
// by its own clock, that the lease has not expired since it was last
// renewed. A node that was paused (SIGSTOP) past its lease sees its leases
// invalid at once, before its renewal finds them taken, and so stops
// serving the call from its stale copy.
func (n *Node) Valid(call room.CallID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.leases[call]
	return ok && !n.frozen && time.Now().Before(n.until[call])
}

// Disown implements room.Ownership: the call ended here, so its snapshot,
// its place in this node's owned set and its lease go (fenced: a call this
// node already lost is left to its owner).
func (n *Node) Disown(call room.CallID) {
	n.mu.Lock()
	if n.frozen {
		n.mu.Unlock()
		return // the room closed because this node shuts down: the call goes on elsewhere
	}
	l, ok := n.leases[call]
	delete(n.leases, call)
	n.mu.Unlock()
	if !ok {
		return
	}
	if err := n.s.EndCall(context.Background(), l, nil, nil); err != nil {
		n.log.Warn().Err(err).Str("call_id", string(call)).Msg("end call in cluster store")
	}
}

// Slot implements room.UserIndex. When Redis cannot be asked, u reads as
// free; what the caller then does with the call needs Redis too and fails
// there with unavailable.
func (n *Node) Slot(u room.UserID) (room.Slot, bool) {
	s, ok, err := n.s.SlotOf(context.Background(), u)
	if err != nil {
		n.log.Warn().Err(err).Str("user_id", string(u)).Msg("busy index lookup")
		return room.Slot{}, false
	}
	return room.Slot{Call: s.Call, Member: s.Member, Device: s.Device}, ok
}

// ReserveRing implements room.UserIndex.
func (n *Node) ReserveRing(u room.UserID, call room.CallID) (bool, error) {
	l, err := n.lease(call)
	if err != nil {
		return false, err
	}
	busy, err := n.s.Reserve(context.Background(), l, []room.UserID{u})
	if err != nil {
		return false, err
	}
	return len(busy) == 0, nil
}

// ClaimMember implements room.UserIndex.
func (n *Node) ClaimMember(u room.UserID, call room.CallID, dev room.DeviceID) (room.CallID, error) {
	l, err := n.lease(call)
	if err != nil {
		return "", err
	}
	return n.s.Claim(context.Background(), l, u, dev)
}

// Release implements room.UserIndex.
func (n *Node) Release(call room.CallID, users ...room.UserID) {
	l, err := n.lease(call)
	if err == nil {
		err = n.s.ReleaseSlots(context.Background(), l, users...)
	}
	if err != nil && !errors.Is(err, errFrozen) {
		n.log.Warn().Err(err).Str("call_id", string(call)).Msg("release busy slots")
	}
}

// Run drives the node until ctx ends: heartbeats and lease renewal every
// min(LeaseTTL, NodeTTL)/4, the deadline sweep every SweepInterval, and
// the adoption of dead nodes' calls every NodeTTL/2. It returns when its
// loops have exited.
func (n *Node) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); n.renewLoop(ctx) }()
	go func() { defer wg.Done(); n.sweepLoop(ctx) }()
	go func() { defer wg.Done(); n.orphanLoop(ctx, n.s.Config().NodeTTL/2) }()
	wg.Wait()
}

// renewLoop heartbeats and renews leases.
func (n *Node) renewLoop(ctx context.Context) {
	cfg := n.s.Config()
	every := min(cfg.LeaseTTL, cfg.NodeTTL) / 4
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n.beat(ctx)
		n.renew(ctx) // reclaims leases first: the re-sync writes under them
		if n.needResync {
			n.needResync = false
			n.rearm(ctx)
			if n.cfg.Resync != nil {
				n.cfg.Resync()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// load returns this node's current load figures.
func (n *Node) load() Load {
	var l Load
	if n.cfg.Load != nil {
		l = n.cfg.Load()
	}
	if l.Calls == 0 {
		l.Calls = n.Owned()
	}
	n.mu.Lock()
	frozen := n.frozen
	n.mu.Unlock()
	if frozen || n.cfg.Draining != nil && n.cfg.Draining() {
		l.Draining = true
	}
	return l
}

// Place chooses the node for a new call initiated on this node (see
// Place): this node unless it is overloaded or draining; it fails with
// room.ErrUnavailable when this node's own heartbeat is stale.
func (n *Node) Place(ctx context.Context) (string, error) {
	return n.s.PlaceCall(ctx, n.load(), n.cfg.Policy)
}

// beat writes one heartbeat.
func (n *Node) beat(ctx context.Context) {
	n.mu.Lock()
	left := n.left
	n.mu.Unlock()
	if left {
		return
	}
	l := n.load()
	missing, err := n.s.Beat(ctx, l)
	switch {
	case err == nil && missing && n.beaten:
		n.beatFailed = false
		n.log.Warn().Msg("heartbeat key was gone (Redis restarted or this node was cut off): re-syncing")
		n.needResync = true
	case err != nil && ctx.Err() == nil:
		if !n.beatFailed {
			n.log.Warn().Err(err).Msg("heartbeat failed: this node takes no new calls until Redis answers")
		}
		n.beatFailed = true
	case err == nil && n.beatFailed:
		n.beatFailed = false
		n.log.Info().Msg("heartbeat back: re-syncing")
		n.needResync = true
	}
	if err == nil {
		n.beaten = true
	}
}

// renew extends every lease in one round trip; a lease that did not renew
// is reclaimed if nobody took the call meanwhile (Redis outage, restart,
// or this node paused), else it is lost.
func (n *Node) renew(ctx context.Context) {
	n.mu.Lock()
	ls := make([]Lease, 0, len(n.leases))
	for _, l := range n.leases {
		ls = append(ls, l)
	}
	n.mu.Unlock()
	start := time.Now()
	lost, err := n.s.RenewAll(ctx, ls)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn().Err(err).Int("leases", len(ls)).Msg("renew leases")
		}
		return
	}
	isLost := make(map[room.CallID]bool, len(lost))
	for _, c := range lost {
		isLost[c] = true
	}
	n.mu.Lock()
	for _, l := range ls {
		if cur, ok := n.leases[l.Call]; ok && cur == l && !isLost[l.Call] {
			n.until[l.Call] = n.validUntil(start)
		}
	}
	n.mu.Unlock()
	for _, call := range lost {
		n.mu.Lock()
		old, ok := n.leases[call]
		n.mu.Unlock()
		if !ok {
			continue // ended meanwhile
		}
		rstart := time.Now()
		l, err := n.s.Reclaim(ctx, old)
		switch {
		case err == nil:
			n.mu.Lock()
			if cur, ok := n.leases[call]; ok && cur == old {
				n.leases[call] = l
				n.until[call] = n.validUntil(rstart)
			}
			n.mu.Unlock()
			n.log.Info().Str("call_id", string(call)).Int64("token", l.Token).Msg("lease reclaimed")
		case errors.Is(err, ErrFenced):
			n.mu.Lock()
			if cur, ok := n.leases[call]; ok && cur == old {
				delete(n.leases, call)
			}
			n.mu.Unlock()
			n.log.Warn().Str("call_id", string(call)).Msg("lease lost: another node owns the call")
			if n.cfg.LeaseLost != nil {
				n.cfg.LeaseLost(call)
			}
		default:
			n.log.Warn().Err(err).Str("call_id", string(call)).Msg("reclaim lease")
		}
	}
}
