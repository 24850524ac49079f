package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// relayTakeSession asks the node a device's session lives on to give it
// up: the device signed in on another node (PROTOCOL.md §8: a hello with
// the deviceId of a live session takes it over, with or without resume).
const relayTakeSession = "sig.takeSession"

// takeSessionReq and takeSessionRes are the bodies of relayTakeSession.
type takeSessionReq struct {
	User   string `json:"u"`
	Device string `json:"d"`
}

type takeSessionRes struct {
	Session string `json:"s"`           // empty: no live session there
	Created int64  `json:"t,omitempty"` // when it began, Unix ms
}

// attachSession binds c to a session like hub.attach, and in a cluster
// also takes over the device's session from the node it lives on, keeping
// its id (resumed true): the device's call membership and invitations were
// never left. A device connected nowhere else gets hub.attach's answer.
func (s *Server) attachSession(c *conn, ident Identity, hello *HelloRequest) (attachResult, error) {
	if s.cfg.Cluster == nil {
		return s.hub.attach(c, ident, hello.DeviceID, hello.Resume)
	}
	res, err := s.attachClustered(c, ident, hello)
	if err == nil && res.evicted == nil {
		res.evicted = s.clusterDeviceCap(ident.UserID, hello.DeviceID)
	}
	return res, err
}

// attachClustered is attachSession in a cluster, before the device cap.
func (s *Server) attachClustered(c *conn, ident Identity, hello *HelloRequest) (attachResult, error) {
	cl := s.cfg.Cluster
	if s.hub.hasDevice(ident.UserID, hello.DeviceID) {
		return s.hub.attach(c, ident, hello.DeviceID, hello.Resume)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	devs, err := cl.Directory.DeviceNodes(ctx, ident.UserID)
	node := devs[hello.DeviceID]
	if err == nil && node == "" && hello.Resume != "" {
		if sess, ok := s.resumeFromDeadNode(ctx, c, ident, hello); ok {
			return attachResult{sess: sess, resumed: true}, nil
		}
	}
	if err != nil || node == "" || node == cl.NodeID {
		return s.hub.attach(c, ident, hello.DeviceID, hello.Resume)
	}
	body, _ := json.Marshal(takeSessionReq{User: ident.UserID, Device: hello.DeviceID})
	type out struct {
		b   []byte
		err error
	}
	ch := make(chan out, 1)
	cl.Relay.Go(ctx, node, relayTakeSession, body, func(b []byte, err error) { ch <- out{b, err} })
	o := <-ch
	var res takeSessionRes
	if o.err == nil {
		o.err = json.Unmarshal(o.b, &res)
	}
	if o.err != nil || res.Session == "" {
		if o.err != nil {
			s.log.Warn().Err(o.err).Str("node", node).Msg("take over a session from its node")
			// The node does not answer: it may have just died, with its
			// heartbeat not expired yet. A resume waits for that.
			if hello.Resume != "" {
				if sess, ok := s.resumeAfterNodeLoss(c, ident, hello); ok {
					return attachResult{sess: sess, resumed: true}, nil
				}
			}
		}
		return s.hub.attach(c, ident, hello.DeviceID, hello.Resume)
	}
	sess, err := s.hub.attachAs(c, ident, hello.DeviceID, res.Session, time.UnixMilli(res.Created))
	return attachResult{sess: sess, resumed: err == nil}, err
}

// giveUpSession ends this node's session of a device that signed in on
// another node, without ending what it holds: the other node carries it
// on under the same id. Its connection, if still open, is closed with 4009.
func (s *Server) giveUpSession(body []byte) ([]byte, error) {
	var req takeSessionReq
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: take session: %v", room.ErrBadRequest, err)
	}
	id, old, created := s.hub.release(req.User, req.Device)
	if old != nil {
		old.closeWith(CloseSessionTakenBy, "session taken over on another node")
	}
	res := takeSessionRes{Session: id}
	if id != "" {
		res.Created = created.UnixMilli()
	}
	return json.Marshal(res)
}

// hasDevice reports whether a live session of user's device is here.
func (h *hub) hasDevice(user, device string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.byDevice[user][device]
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

// attachAs binds c to a new session with a given id: a session taken over
// from another node. The session starts in handshake mode.
func (h *hub) attachAs(c *conn, id Identity, device, sessionID string, created time.Time) (*session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrUnavailable
	}
	if old := h.byID[sessionID]; old != nil {
		return nil, fmt.Errorf("%w: session %s is already here", ErrUnavailable, sessionID)
	}
	s := &session{id: sessionID, user: id.UserID, device: device, conn: c, claim: id.Call, handshake: true, created: created}
	h.byID[s.id] = s
	if h.byDevice[id.UserID] == nil {
		h.byDevice[id.UserID] = make(map[string]*session)
	}
	h.byDevice[id.UserID][device] = s
	return s, nil
}

// release removes user's device session from this hub without ending what
// it holds, and returns its id, its connection (nil when disconnected) and
// when it began.
func (h *hub) release(user, device string) (string, *conn, time.Time) {
	h.mu.Lock()
	s := h.byDevice[user][device]
	if s == nil {
		h.mu.Unlock()
		return "", nil, time.Time{}
	}
	delete(h.byDevice[user], device)
	if len(h.byDevice[user]) == 0 {
		delete(h.byDevice, user)
	}
	delete(h.byID, s.id)
	h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return "", nil, time.Time{}
	}
	s.ended = true
	if s.grace != nil {
		if s.grace.Stop() {
			h.timers.Done()
		}
		s.grace = nil
	}
	return s.id, s.conn, s.created
}

// resumeDeadNodeWait bounds how long a resume waits for the heartbeat of
// a node that does not answer to expire (the store's node TTL is 3 s).
const resumeDeadNodeWait = 5 * time.Second

// resumeAfterNodeLoss retries resumeFromDeadNode until the session's node
// counts as gone or resumeDeadNodeWait passed. It gives up at once when
// the resume record does not name this device.
func (s *Server) resumeAfterNodeLoss(c *conn, ident Identity, hello *HelloRequest) (*session, bool) {
	deadline := time.Now().Add(resumeDeadNodeWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
		user, device, _, node, err := s.cfg.Cluster.Resumes.ResumeOf(ctx, hello.Resume)
		if err != nil || user != ident.UserID || device != hello.DeviceID || node == s.cfg.Cluster.NodeID {
			cancel()
			return nil, false
		}
		sess, ok := s.resumeFromDeadNode(ctx, c, ident, hello)
		cancel()
		if ok || time.Now().After(deadline) {
			return sess, ok
		}
		// Polling the node's heartbeat expiry, bounded by the deadline.
		time.Sleep(200 * time.Millisecond)
	}
}

// resumeFromDeadNode resumes, here, a session whose node is gone (died or
// handed its calls over): its resume record must name the same user and
// device, and the record moves to this node only if that node's heartbeat
// is gone, so a session is resumed once. Its call membership was kept by
// the call's new owner during the resume grace (Adopt).
func (s *Server) resumeFromDeadNode(ctx context.Context, c *conn, ident Identity, hello *HelloRequest) (*session, bool) {
	cl := s.cfg.Cluster
	user, device, _, node, err := cl.Resumes.ResumeOf(ctx, hello.Resume)
	if err != nil || user != ident.UserID || device != hello.DeviceID || node == cl.NodeID {
		return nil, false
	}
	if err := cl.Resumes.MoveResume(ctx, hello.Resume, node, resumeRecordTTL); err != nil {
		return nil, false
	}
	sess, err := s.hub.attachAs(c, ident, hello.DeviceID, hello.Resume, time.Now())
	if err != nil {
		return nil, false
	}
	s.log.Info().Str("session_id", sess.id).Str("from_node", node).Msg("session resumed from a node that is gone")
	return sess, true
}
