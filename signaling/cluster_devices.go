package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// The device cap (Config.MaxDevices) across a cluster: a user's devices
// may be connected to several nodes, so the node where a device signs in
// counts them in the directory, and when one too many asks each node that
// holds some for their age and whether they are connected, then ends the
// oldest, preferring one in its resume grace — the rule of one node
// (hub.attach), cluster-wide.

// Relay kinds of the cluster device cap.
const (
	// relayDevices asks a node for a user's sessions there.
	relayDevices = "sig.devices"
	// relayEvict asks a node to end one session for the device cap.
	relayEvict = "sig.evict"
)

// deviceInfo is one session of a user, as the cap compares them.
type deviceInfo struct {
	Device  string `json:"d"`
	Session string `json:"s"`
	Created int64  `json:"t"` // Unix ms
	Idle    bool   `json:"i"` // no connection: in its resume grace
	node    string
}

// devicesReq is the body of relayDevices and relayEvict.
type devicesReq struct {
	User    string `json:"u"`
	Device  string `json:"d,omitempty"`
	Session string `json:"s,omitempty"`
}

// sessionInfos lists user's live sessions on this node.
func (h *hub) sessionInfos(user string) []deviceInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []deviceInfo
	for _, s := range h.byDevice[user] {
		s.mu.Lock()
		if !s.ended {
			out = append(out, deviceInfo{Device: s.device, Session: s.id, Created: s.created.UnixMilli(), Idle: s.conn == nil})
		}
		s.mu.Unlock()
	}
	return out
}

// evictSession ends user's device session id for the device cap; nil when
// it is not here (any more).
func (h *hub) evictSession(user, device, id string) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.byDevice[user][device]
	if s == nil || s.id != id {
		return nil
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended {
		return nil
	}
	h.endLocked(s)
	return s
}

// endEvicted closes an evicted session's connection with 4010 and ends
// what it held, as a session end without resume.
func (s *Server) endEvicted(ev *session) {
	if ec := ev.connOf(); ec != nil {
		ec.closeWith(CloseTooManyDevices, "too many devices")
	}
	c := ev.caller()
	s.clusterOffline(c)
	s.sessionEnded(c)
}

// clusterDeviceCap keeps user within the device cap across the cluster
// after device signed in here. It returns the local session it ended, if
// it chose one here (the caller ends it as hub.attach's eviction); remote
// ones are ended by their node. Nothing is ended when the directory cannot
// be asked.
func (s *Server) clusterDeviceCap(user, device string) *session {
	cl := s.cfg.Cluster
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	devs, err := cl.Directory.DeviceNodes(ctx, user)
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", user).Msg("device cap: directory")
		return nil
	}
	local := s.hub.sessionInfos(user)
	others := map[string]bool{}
	for d := range devs {
		others[d] = true
	}
	for _, d := range local {
		others[d.Device] = true
	}
	delete(others, device)
	over := len(others) + 1 - s.cfg.MaxDevices
	if over <= 0 {
		return nil
	}
	var all []deviceInfo
	for _, d := range local {
		d.node = cl.NodeID
		all = append(all, d)
	}
	asked := map[string]bool{cl.NodeID: true}
	for _, node := range devs {
		if asked[node] {
			continue
		}
		asked[node] = true
		infos, err := s.remoteDevices(ctx, node, user)
		if err != nil {
			s.log.Warn().Err(err).Str("node", node).Msg("device cap: list sessions")
			continue
		}
		for _, d := range infos {
			d.node = node
			all = append(all, d)
		}
	}
	var cands []deviceInfo
	for _, d := range all {
		if d.Device != device {
			cands = append(cands, d)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Idle != cands[j].Idle {
			return cands[i].Idle
		}
		return cands[i].Created < cands[j].Created
	})
	var evictedHere *session
	for _, d := range cands[:min(over, len(cands))] {
		if d.node == cl.NodeID {
			if ev := s.hub.evictSession(user, d.Device, d.Session); ev != nil {
				if evictedHere == nil {
					evictedHere = ev
				} else {
					s.endEvicted(ev)
				}
			}
			continue
		}
		body, _ := json.Marshal(devicesReq{User: user, Device: d.Device, Session: d.Session})
		if _, err := s.relayWait(ctx, d.node, relayEvict, body); err != nil {
			s.log.Warn().Err(err).Str("node", d.node).Msg("device cap: end a session")
		}
	}
	return evictedHere
}

// remoteDevices asks node for user's sessions there.
func (s *Server) remoteDevices(ctx context.Context, node, user string) ([]deviceInfo, error) {
	body, _ := json.Marshal(devicesReq{User: user})
	b, err := s.relayWait(ctx, node, relayDevices, body)
	if err != nil {
		return nil, err
	}
	var out []deviceInfo
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: devices of %s: %v", room.ErrUnavailable, node, err)
	}
	return out, nil
}

// relayWait sends a request to node and waits for its reply.
func (s *Server) relayWait(ctx context.Context, node, kind string, body []byte) ([]byte, error) {
	type out struct {
		b   []byte
		err error
	}
	ch := make(chan out, 1)
	s.cl.relayed.WithLabelValues("out").Inc()
	s.cfg.Cluster.Relay.Go(ctx, node, kind, body, func(b []byte, err error) { ch <- out{b, err} })
	select {
	case o := <-ch:
		return o.b, o.err
	case <-time.After(clusterOpTimeout + time.Second):
		return nil, fmt.Errorf("%w: node %s did not answer %s", room.ErrUnavailable, node, kind)
	}
}

// answerDevices runs relayDevices and relayEvict on this node.
func (s *Server) answerDevices(kind string, body []byte) ([]byte, error) {
	var req devicesReq
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", room.ErrBadRequest, kind, err)
	}
	if kind == relayDevices {
		infos := s.hub.sessionInfos(req.User)
		if infos == nil {
			infos = []deviceInfo{}
		}
		return json.Marshal(infos)
	}
	if ev := s.hub.evictSession(req.User, req.Device, req.Session); ev != nil {
		s.endEvicted(ev)
	}
	return []byte("{}"), nil
}
