package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ringsfu/ringsfu/room"
)

// Policy says when a node counts as overloaded. A zero limit is no limit.
type Policy struct {
	// MaxCPU is the CPU fraction above which a node is overloaded.
	// Default 0.8.
	MaxCPU float64
	// MaxPacketsPerSec and MaxCalls are optional further limits.
	MaxPacketsPerSec float64
	MaxCalls         int
}

func (p Policy) withDefaults() Policy {
	if p.MaxCPU <= 0 {
		p.MaxCPU = 0.8
	}
	return p
}

// score is a node's load relative to the policy's limits: the largest of
// its ratios (CPU always counts), so that 1 means "at a limit".
func (p Policy) score(l Load) float64 {
	s := l.CPU / p.MaxCPU
	if p.MaxPacketsPerSec > 0 {
		s = max(s, l.PacketsPerSec/p.MaxPacketsPerSec)
	}
	if p.MaxCalls > 0 {
		s = max(s, float64(l.Calls)/float64(p.MaxCalls))
	}
	return s
}

// overloaded reports whether a node with load l takes no new call unless
// every node is overloaded.
func (p Policy) overloaded(l Load) bool { return p.score(l) >= 1 }

// Place chooses the node for a new call whose initiator is connected to
// self. It refuses with room.ErrUnavailable when self's own heartbeat is
// stale (selfFresh false), so that a node cut off from Redis takes no
// calls. The initiator's node wins unless it is draining or overloaded;
// otherwise the less loaded of two distinct random fresh candidates
// (power of two choices, so that a burst of placements does not herd onto
// the single least-loaded node). Candidates are fresh, not draining, and
// not overloaded; if every fresh node is overloaded, all fresh
// non-draining nodes are candidates. intn(n) returns a random int in
// [0, n); nil uses math/rand/v2.
func Place(self string, selfLoad Load, selfFresh bool, nodes []NodeInfo, p Policy, intn func(int) int) (string, error) {
	if !selfFresh {
		return "", fmt.Errorf("%w: this node's heartbeat is stale (no contact with the cluster store)", room.ErrUnavailable)
	}
	p = p.withDefaults()
	if !selfLoad.Draining && !p.overloaded(selfLoad) {
		return self, nil
	}
	if intn == nil {
		intn = rand.IntN
	}
	var ok, all []NodeInfo
	for _, n := range nodes {
		if n.ID == self {
			n.Load = selfLoad
		}
		if !n.Fresh || n.Load.Draining {
			continue
		}
		all = append(all, n)
		if !p.overloaded(n.Load) {
			ok = append(ok, n)
		}
	}
	cands := ok
	if len(cands) == 0 {
		cands = all
	}
	switch len(cands) {
	case 0:
		if selfLoad.Draining {
			return "", fmt.Errorf("%w: this node is draining and no other node is fresh", room.ErrUnavailable)
		}
		return self, nil
	case 1:
		return cands[0].ID, nil
	}
	i := intn(len(cands))
	j := intn(len(cands) - 1)
	if j >= i {
		j++
	}
	a, b := cands[i], cands[j]
	if p.score(b.Load) < p.score(a.Load) {
		return b.ID, nil
	}
	return a.ID, nil
}

// PlaceCall reads the registry and places a call initiated on this node
// (see Place).
func (s *Store) PlaceCall(ctx context.Context, selfLoad Load, p Policy) (string, error) {
	if !s.OwnFresh() {
		return Place(s.cfg.NodeID, selfLoad, false, nil, p, nil)
	}
	if !selfLoad.Draining && !p.withDefaults().overloaded(selfLoad) {
		return s.cfg.NodeID, nil
	}
	nodes, _, err := s.Nodes(ctx)
	if err != nil {
		return "", err
	}
	return Place(s.cfg.NodeID, selfLoad, true, nodes, p, nil)
}
