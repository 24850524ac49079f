package signaling

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
)

// hub indexes sessions by id and by user and device, runs their resume
// grace timers, and implements room.Notifier by encoding each event once and
// handing it to the addressed devices' connections without blocking.
type hub struct {
	grace      time.Duration
	maxDevices int
	// clusterCap leaves the device cap to the cluster-wide check
	// (cluster_devices.go): a user's devices may be on several nodes.
	clusterCap bool
	log        zerolog.Logger
	metrics    *Metrics
	ended      func(room.Caller) // called when a session ends without resume

	mu       sync.Mutex
	byID     map[string]*session            // guarded by mu
	byDevice map[string]map[string]*session // guarded by mu: user → device → session
	closed   bool                           // guarded by mu
	seq      uint64                         // guarded by mu: sessions created
	timers   sync.WaitGroup                 // grace expiries in flight
}

var _ room.Notifier = (*hub)(nil)

// newHub returns an empty hub.
func newHub(grace time.Duration, maxDevices int, log zerolog.Logger, m *Metrics, ended func(room.Caller)) *hub {
	return &hub{
		grace:      grace,
		maxDevices: maxDevices,
		log:        log,
		metrics:    m,
		ended:      ended,
		byID:       make(map[string]*session),
		byDevice:   make(map[string]map[string]*session),
	}
}

// newSessionID returns a fresh random session id.
func newSessionID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("signaling: crypto/rand failed: %v", err))
	}
	return "s_" + hex.EncodeToString(b[:])
}

// attachResult is what attach did.
type attachResult struct {
	sess    *session
	resumed bool     // the session was kept from before
	old     *conn    // the connection it replaced, to be closed with 4009
	evicted *session // a session ended to keep the user within maxDevices
}

// attach binds connection c to a session of (user, device): the session
// named by resumeID if it belongs to the same user and device, else the live
// session of that device (a takeover), else a new one. A new session that
// would give the user more than maxDevices sessions ends the user's oldest
// session first, preferring one without a connection (in its grace
// period); the caller closes its connection with 4010 and ends its
// membership. The session starts in handshake mode.
func (h *hub) attach(c *conn, id Identity, device, resumeID string) (attachResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return attachResult{}, ErrUnavailable
	}
	var res attachResult
	var s *session
	if r, ok := h.byID[resumeID]; ok && resumeID != "" && r.user == id.UserID && r.device == device {
		s = r
	} else if d := h.byDevice[id.UserID]; d != nil && d[device] != nil {
		s = d[device]
	}
	if s != nil {
		s.mu.Lock()
		if s.ended {
			s.mu.Unlock()
			s = nil
		}
	}
	res.resumed = s != nil
	if s == nil {
		if !h.clusterCap && len(h.byDevice[id.UserID]) >= h.maxDevices {
			res.evicted = h.evictOldest(id.UserID)
		}
		h.seq++
		s = &session{id: newSessionID(), user: id.UserID, device: device, seq: h.seq, created: time.Now()}
		h.byID[s.id] = s
		if h.byDevice[id.UserID] == nil {
			h.byDevice[id.UserID] = make(map[string]*session)
		}
		h.byDevice[id.UserID][device] = s
		s.mu.Lock()
	}
	old := s.conn
	s.conn = c
	s.claim = id.Call
	s.handshake = true
	s.buffered = nil
	if s.grace != nil {
		if s.grace.Stop() {
			h.timers.Done()
		}
		s.grace = nil
	}
	s.mu.Unlock()
	if old != c {
		res.old = old
	}
	res.sess = s
	return res, nil
}

// evictOldest ends the oldest session of user, preferring sessions without
// a connection, and returns it. The caller holds h.mu.
func (h *hub) evictOldest(user string) *session {
	var pick *session
	pickIdle := false
	for _, s := range h.byDevice[user] {
		s.mu.Lock()
		idle := s.conn == nil
		s.mu.Unlock()
		if pick == nil || idle && !pickIdle || idle == pickIdle && s.seq < pick.seq {
			pick, pickIdle = s, idle
		}
	}
	if pick == nil {
		return nil
	}
	h.endLocked(pick)
	return pick
}

// endLocked ends session pick to keep its user within the device cap.
// The caller holds h.mu.
func (h *hub) endLocked(pick *session) {
	user := pick.user
	pick.mu.Lock()
	pick.ended = true
	if pick.grace != nil && pick.grace.Stop() {
		h.timers.Done()
	}
	pick.grace = nil
	pick.mu.Unlock()
	delete(h.byID, pick.id)
	delete(h.byDevice[user], pick.device)
	h.log.Info().Str("session_id", pick.id).Str("user_id", user).Msg("session ended: too many devices")
}

// connOf returns the session's connection, or nil.
func (s *session) connOf() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// detach is called when connection c of session s goes away. The session
// stays for the grace period, then ends.
func (h *hub) detach(s *session, c *conn) {
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.timers.Add(1)
	}
	h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if closed || s.conn != c || s.ended {
		if !closed {
			h.timers.Done()
		}
		return
	}
	s.conn = nil
	s.handshake = false
	s.buffered = nil
	s.grace = time.AfterFunc(h.grace, func() {
		defer h.timers.Done()
		h.expire(s)
	})
}

// expire ends a session whose grace period ran out without resume.
func (h *hub) expire(s *session) {
	s.mu.Lock()
	if s.conn != nil || s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.grace = nil
	s.mu.Unlock()
	h.mu.Lock()
	if h.byID[s.id] == s {
		delete(h.byID, s.id)
	}
	if d := h.byDevice[s.user]; d != nil && d[s.device] == s {
		delete(d, s.device)
		if len(d) == 0 {
			delete(h.byDevice, s.user)
		}
	}
	h.mu.Unlock()
	h.log.Info().Str("session_id", s.id).Str("user_id", s.user).Msg("session ended")
	h.ended(s.caller())
}

// sessionsOf returns the sessions a recipient addresses.
func (h *hub) sessionsOf(to room.Recipient) []*session {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.byDevice[string(to.User)]
	if len(d) == 0 {
		return nil
	}
	if to.Device != "" {
		if s := d[string(to.Device)]; s != nil {
			return []*session{s}
		}
		return nil
	}
	out := make([]*session, 0, len(d))
	for dev, s := range d {
		if dev != string(to.Except) {
			out = append(out, s)
		}
	}
	return out
}

// Notify implements room.Notifier.
func (h *hub) Notify(to room.Recipient, ev room.Event) int {
	sessions := h.sessionsOf(to)
	if len(sessions) == 0 {
		return 0
	}
	typ, body := wireEvent(ev)
	msg, err := encodeEvent(typ, body)
	if err != nil {
		h.log.Error().Err(err).Str("type", typ).Msg("encode event")
		return 0
	}
	ringCall := ""
	if ic, ok := ev.(room.IncomingCall); ok {
		ringCall = string(ic.CallID)
	}
	n := 0
	for _, s := range sessions {
		if s.deliver(msg, ringCall) {
			n++
		}
	}
	h.metrics.eventsOut.WithLabelValues(typ).Add(float64(n))
	return n
}

// closeAll marks the hub closed, stops grace timers and returns every live
// connection so the server can close them.
func (h *hub) closeAll() []*conn {
	h.mu.Lock()
	h.closed = true
	all := make([]*session, 0, len(h.byID))
	for _, s := range h.byID {
		all = append(all, s)
	}
	// The sessions end here: the room Manager closes their calls.
	clear(h.byID)
	clear(h.byDevice)
	h.mu.Unlock()
	var conns []*conn
	for _, s := range all {
		s.mu.Lock()
		if s.grace != nil && s.grace.Stop() {
			h.timers.Done()
		}
		s.grace = nil
		s.ended = true
		if s.conn != nil {
			conns = append(conns, s.conn)
		}
		s.mu.Unlock()
	}
	h.timers.Wait()
	return conns
}

// count returns the number of live sessions.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byID)
}
