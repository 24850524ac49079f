package signaling

import (
	"context"
	"encoding/json"

	"github.com/ringsfu/ringsfu/room"
)

// clusterNotifier is the room.Notifier of a cluster node: events go to the
// addressed devices connected here, and to the nodes of the others.
type clusterNotifier struct {
	s *Server
}

var _ room.Notifier = clusterNotifier{}

// relayedEvent is an encoded event on its way to a device's node.
type relayedEvent struct {
	User     string `json:"u"`
	Device   string `json:"d,omitempty"`
	Except   string `json:"x,omitempty"`
	RingCall string `json:"r,omitempty"`
	Msg      []byte `json:"m"`
}

// Notify implements room.Notifier. It asks the directory where the
// user's devices are and sends one message per other node; devices on
// other nodes count as reached.
func (n clusterNotifier) Notify(to room.Recipient, ev room.Event) int {
	s := n.s
	cl := s.cfg.Cluster
	local := s.hub.Notify(to, ev)
	if to.Device != "" && local > 0 {
		// The one addressed device is connected here: a device has one
		// session and one presence entry, so no other node holds it and
		// the directory look-up (a Redis round trip in the room's
		// goroutine, the most frequent one of a call) is not needed.
		return local
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	if ds, ok := cl.Directory.(devicesSender); ok {
		return local + n.sendToDevices(ctx, ds, to, ev)
	}
	devices, err := cl.Directory.DeviceNodes(ctx, string(to.User))
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", string(to.User)).Msg("device directory")
		return local
	}
	nodes := map[string]int{}
	for dev, node := range devices {
		if node == cl.NodeID || (to.Device != "" && dev != string(to.Device)) || dev == string(to.Except) {
			continue
		}
		nodes[node]++
	}
	if len(nodes) == 0 {
		return local
	}
	typ, body := wireEvent(ev)
	msg, err := encodeEvent(typ, body)
	if err != nil {
		s.log.Error().Err(err).Str("type", typ).Msg("encode event")
		return local
	}
	re := relayedEvent{User: string(to.User), Device: string(to.Device), Except: string(to.Except), Msg: msg}
	if ic, ok := ev.(room.IncomingCall); ok {
		re.RingCall = string(ic.CallID)
	}
	b, err := json.Marshal(re)
	if err != nil {
		return local
	}
	reached := local
	for node, count := range nodes {
		if err := cl.Relay.SendTo(ctx, node, relayEvent, b); err != nil {
			s.log.Warn().Err(err).Str("node", node).Msg("relay event")
			continue
		}
		s.cl.relayed.WithLabelValues("out").Inc()
		reached += count
	}
	return reached
}

// deliverRelayed hands an event relayed from another node to the addressed
// devices connected here.
func (s *Server) deliverRelayed(body []byte) {
	var re relayedEvent
	if err := json.Unmarshal(body, &re); err != nil {
		s.log.Warn().Err(err).Msg("relayed event")
		return
	}
	s.cl.relayed.WithLabelValues("in").Inc()
	to := room.Recipient{User: room.UserID(re.User), Device: room.DeviceID(re.Device), Except: room.DeviceID(re.Except)}
	for _, sess := range s.hub.sessionsOf(to) {
		sess.deliver(re.Msg, re.RingCall)
	}
}

// clusterOnline records a signed-in session, and the name its token
// carries, in the directory.
func (s *Server) clusterOnline(sess *session, name string) {
	cl := s.cfg.Cluster
	if cl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	if err := cl.Directory.SetName(ctx, sess.user, name); err != nil {
		s.log.Warn().Err(err).Str("session_id", sess.id).Msg("token name")
	}
	if err := cl.Directory.SetPresence(ctx, sess.user, sess.device, sess.id); err != nil {
		s.log.Warn().Err(err).Str("session_id", sess.id).Msg("presence")
	}
	if err := cl.Resumes.KeepResume(ctx, sess.id, sess.user, sess.device, sess.claim, resumeRecordTTL); err != nil {
		s.log.Warn().Err(err).Str("session_id", sess.id).Msg("resume record")
	}
}

// clusterOffline removes an ended session from the directory.
func (s *Server) clusterOffline(c room.Caller) {
	cl := s.cfg.Cluster
	if cl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	if err := cl.Directory.ClearPresence(ctx, string(c.User), string(c.Device), ""); err != nil {
		s.log.Warn().Err(err).Str("user_id", string(c.User)).Msg("clear presence")
	}
}

// ResyncPresence writes the presence of every connected session again,
// after the cluster store was unreachable or lost its data. It blocks for
// one store round trip per session and is meant for a background
// goroutine.
func (s *Server) ResyncPresence() {
	if s.cfg.Cluster == nil {
		return
	}
	s.hub.mu.Lock()
	all := make([]*session, 0, len(s.hub.byID))
	for _, sess := range s.hub.byID {
		all = append(all, sess)
	}
	s.hub.mu.Unlock()
	for _, sess := range all {
		sess.mu.Lock()
		live := sess.conn != nil && !sess.ended
		sess.mu.Unlock()
		if live {
			name, _ := s.mgr.TokenName(room.UserID(sess.user))
			s.clusterOnline(sess, name)
		}
	}
}

// devicesSender is a Directory that also relays an event to the nodes of
// a user's devices in one round trip (the look-up and the sends together,
// as cluster.Store does); Notify uses it when the Directory has it.
type devicesSender interface {
	SendToDevices(ctx context.Context, user, device, except, kind string, body []byte) (map[string]int, error)
}

// sendToDevices relays ev to the other nodes that hold to's devices
// through ds and returns the devices reached there.
func (n clusterNotifier) sendToDevices(ctx context.Context, ds devicesSender, to room.Recipient, ev room.Event) int {
	s := n.s
	typ, body := wireEvent(ev)
	msg, err := encodeEvent(typ, body)
	if err != nil {
		s.log.Error().Err(err).Str("type", typ).Msg("encode event")
		return 0
	}
	re := relayedEvent{User: string(to.User), Device: string(to.Device), Except: string(to.Except), Msg: msg}
	if ic, ok := ev.(room.IncomingCall); ok {
		re.RingCall = string(ic.CallID)
	}
	b, err := json.Marshal(re)
	if err != nil {
		return 0
	}
	nodes, err := ds.SendToDevices(ctx, string(to.User), string(to.Device), string(to.Except), relayEvent, b)
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", string(to.User)).Msg("relay event")
		return 0
	}
	reached := 0
	for _, count := range nodes {
		s.cl.relayed.WithLabelValues("out").Inc()
		reached += count
	}
	return reached
}
