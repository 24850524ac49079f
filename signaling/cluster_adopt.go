package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// Adopt starts, on this node, a call taken over from a node that died or
// shut down (room.Manager.Restore), then gives each member whose device is
// connected nowhere the resume grace to come back: the sessions lived on
// the old node, whose grace timers are gone with it. A member still absent
// when the grace ends leaves as "disconnected", as it would have on the
// old node.
func (s *Server) Adopt(snapshot []byte) error {
	if err := s.mgr.Restore(snapshot); err != nil {
		return err
	}
	var snap room.Snapshot
	if err := json.Unmarshal(snapshot, &snap); err != nil {
		return fmt.Errorf("%w: snapshot: %v", room.ErrBadRequest, err)
	}
	if s.cfg.Cluster == nil || s.cl.done == nil {
		return nil
	}
	members := make([]room.Caller, len(snap.Members))
	for i, m := range snap.Members {
		members[i] = room.Caller{User: m.User, Device: m.Device}
	}
	s.cl.wg.Add(1)
	go s.graceAfterAdopt(snap.CallID, members)
	return nil
}

// adoptRecheckFor bounds how long after the grace an adopted member that
// still shows as connected is looked at again: a presence entry of the old
// node outlives the grace when that node is slow to finish its shutdown
// (its heartbeat key lives NodeTTL, 3 s by default), and the member must
// still leave once it is gone.
const adoptRecheckFor = 10 * time.Second

// adoptRecheckEvery is the pace of those later looks.
const adoptRecheckEvery = 500 * time.Millisecond

// graceAfterAdopt waits the resume grace, then ends the memberships of
// adopted members whose device did not come back to any node. A member
// that still shows as connected is looked at again until adoptRecheckFor
// has passed. It exits early when the server shuts down.
func (s *Server) graceAfterAdopt(call room.CallID, members []room.Caller) {
	defer s.cl.wg.Done()
	t := time.NewTimer(s.cfg.ResumeGrace)
	defer t.Stop()
	limit := time.Now().Add(s.cfg.ResumeGrace + adoptRecheckFor)
	for {
		select {
		case <-s.cl.done:
			return
		case <-t.C:
		}
		var still []room.Caller
		for _, c := range members {
			if s.connectedAnywhere(c) {
				still = append(still, c)
				continue
			}
			s.endAdoptedMember(call, c)
		}
		members = still
		if len(members) == 0 || time.Now().After(limit) {
			return
		}
		t.Reset(adoptRecheckEvery)
	}
}

// endAdoptedMember ends the membership of c, an adopted member that did
// not come back within the grace.
func (s *Server) endAdoptedMember(call room.CallID, c room.Caller) {
	s.log.Info().Str("call_id", string(call)).Str("user_id", string(c.User)).
		Msg("member of an adopted call did not come back: disconnected")
	// First: a resume arriving from now on starts a new session, as it
	// would on one node once the grace ended.
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	if err := s.cfg.Cluster.Resumes.EndResumes(ctx, string(c.User), string(c.Device)); err != nil {
		s.log.Warn().Err(err).Str("user_id", string(c.User)).Msg("end the resume of an absent member")
	}
	cancel()
	s.mgr.SessionEnded(c)
}

// connectedAnywhere reports whether c's device has a session here or is
// present on a live node. When the directory cannot be asked, the device
// counts as connected (nobody is dropped because Redis is unreachable).
func (s *Server) connectedAnywhere(c room.Caller) bool {
	if len(s.hub.sessionsOf(room.Recipient{User: c.User, Device: c.Device})) > 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	devs, err := s.cfg.Cluster.Directory.DeviceNodes(ctx, string(c.User))
	if err != nil {
		return true
	}
	_, ok := devs[string(c.Device)]
	return ok
}
