package signaling

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/room"
)

// Cluster connects a Server to the other nodes sharing one cluster store.
// A nil Config.Cluster is a single node, exactly as without this type. In
// a cluster, cmd fills it from package room/cluster, whose types satisfy
// these interfaces structurally (signaling never imports it).
type Cluster struct {
	// NodeID names this node.
	NodeID string
	// Index, Ownership and Deadlines replace the Manager's in-memory
	// defaults (see room.ManagerConfig).
	Index     room.UserIndex
	Ownership room.Ownership
	Deadlines room.Deadlines
	Persister room.Persister
	// Owners finds the node that owns a call.
	Owners Owners
	// Directory knows which node each connected device is on.
	Directory Directory
	// Resumes keeps what a session needs to resume on another node.
	Resumes Resumes
	// Relay carries requests, replies and events between nodes.
	Relay Relay
	// Placer chooses the node for a new call.
	Placer Placer
	// Adopter takes over, here, a call nobody owns (its node died or
	// handed it over), when a member signs in before another node did.
	Adopter Adopter
}

// Adopter adopts orphaned calls.
type Adopter interface {
	// Orphaned returns the call u holds a slot in when nobody owns it but
	// it can be taken over; ok is false otherwise.
	Orphaned(ctx context.Context, u room.UserID) (call room.CallID, ok bool, err error)
	// Adopt takes call over if nobody owns it: it starts the call's room
	// here from its snapshot. It reports whether this node now owns it.
	Adopt(ctx context.Context, call room.CallID) (bool, error)
}

// Placer places new calls.
type Placer interface {
	// Place returns the node that should own a new call initiated here;
	// room.ErrUnavailable when this node must not take calls (its own
	// heartbeat is stale) and no placement is possible.
	Place(ctx context.Context) (node string, err error)
}

// Owners finds the owner of a call.
type Owners interface {
	// OwnerOf returns the node that owns call; ok is false when nobody
	// does.
	OwnerOf(ctx context.Context, call room.CallID) (node string, ok bool, err error)
}

// Directory is session presence across the cluster.
type Directory interface {
	// SetPresence records that user's device is connected to this node
	// with session.
	SetPresence(ctx context.Context, user, device, session string) error
	// ClearPresence removes the entry if it still names this node and
	// session (any session of this node when session is empty).
	ClearPresence(ctx context.Context, user, device, session string) error
	// DeviceNodes returns user's connected devices: device → node.
	DeviceNodes(ctx context.Context, user string) (map[string]string, error)
	// SetName records the name user's own token carries; NameOf returns
	// it (ok false when none was recorded).
	SetName(ctx context.Context, user, name string) error
	NameOf(ctx context.Context, user string) (name string, ok bool, err error)
}

// Resumes are the resume records that let a session resume on any node.
type Resumes interface {
	// KeepResume stores what session needs to resume, for ttl.
	KeepResume(ctx context.Context, session, user, device, claim string, ttl time.Duration) error
	// ResumeOf returns a session's record; room.ErrNotFound when none.
	ResumeOf(ctx context.Context, session string) (user, device, claim, node string, err error)
	// MoveResume hands session from node from, which must be gone, to
	// this node (compare-and-set: of two nodes only one wins).
	MoveResume(ctx context.Context, session, from string, ttl time.Duration) error
	// DeleteResume removes the record if it names this node.
	DeleteResume(ctx context.Context, session string) error
	// EndResumes makes every session of user's device that began before
	// now impossible to resume on another node (its membership ended).
	EndResumes(ctx context.Context, user, device string) error
}

// Relay carries messages between nodes.
type Relay interface {
	// Go sends a request and calls done once with the reply body or an
	// error (room.ErrUnavailable on timeout). Replies are handed to done
	// in order with the events that follow them; done must not block.
	Go(ctx context.Context, node, kind string, body []byte, done func([]byte, error))
	// ReplyTo answers request corr of node.
	ReplyTo(ctx context.Context, node, corr string, body []byte, err error) error
	// SendTo sends a one-way message.
	SendTo(ctx context.Context, node, kind string, body []byte) error
}

// Relay message kinds of package signaling.
const (
	// relayRequest carries a client request to the call's owner.
	relayRequest = "sig.request"
	// relayAttach asks a call's owner for a device's pending invitation
	// and membership at sign-in.
	relayAttach = "sig.attach"
	// relayEvent carries an encoded event to a device's node.
	relayEvent = "sig.event"
	// relayEnded tells a call's owner that a member's session ended
	// without resume.
	relayEnded = "sig.ended"
	// relayDisplace tells a call's owner that a user's waiting invitation
	// there is displaced: the user created or joined another call.
	relayDisplace = "sig.displace"
)

// resumeRecordTTL bounds how long a session can be resumed on another node
// after its node died; it is written again at every sign-in.
const resumeRecordTTL = time.Hour

// clusterOpTimeout bounds the cluster look-ups a request makes before it
// is relayed.
const clusterOpTimeout = 2 * time.Second

// clusterState is the Server's cluster machinery; it stays zero on a
// single node. Its goroutines, the relay workers, are started by
// startCluster and ended by stopCluster.
type clusterState struct {
	in      []chan relayedMsg // relayed requests, one queue per worker (relayShard)
	done    chan struct{}
	wg      sync.WaitGroup
	relayed *prometheus.CounterVec // messages relayed, by direction
}

// relayQueue bounds the relayed requests waiting for the workers.
const relayQueue = 4096

// relayWorkers is how many relayed requests a node runs at once. A
// request runs until its room command is done (several Redis round trips),
// so one worker would cap a node at a few hundred relayed requests per
// second; the requests of one device stay on one worker, in order.
const relayWorkers = 32

// check reports a Cluster with a missing part.
func (cl *Cluster) check() error {
	if cl.NodeID == "" || cl.Index == nil || cl.Ownership == nil || cl.Deadlines == nil || cl.Persister == nil ||
		cl.Owners == nil || cl.Directory == nil || cl.Resumes == nil || cl.Relay == nil || cl.Placer == nil || cl.Adopter == nil {
		return fmt.Errorf("signaling: Config.Cluster needs every field set: %w", ErrBadRequest)
	}
	return nil
}

// clusterManager sets the Manager's shared state from the cluster, if any.
func (s *Server) clusterManager(mc *room.ManagerConfig) {
	cl := s.cfg.Cluster
	if cl == nil {
		return
	}
	mc.Notifier = clusterNotifier{s: s}
	mc.RemoteDisplace = s.relayDisplace
	mc.TokenNames = func(u room.UserID) (string, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
		defer cancel()
		name, ok, err := cl.Directory.NameOf(ctx, string(u))
		return name, ok && err == nil
	}
	mc.Index, mc.Ownership, mc.Deadlines, mc.Persister = cl.Index, cl.Ownership, cl.Deadlines, cl.Persister
}

// startCluster starts the relay workers in cluster mode.
func (s *Server) startCluster() {
	if s.cfg.Cluster == nil {
		return
	}
	s.cl.in = make([]chan relayedMsg, relayWorkers)
	for i := range s.cl.in {
		s.cl.in[i] = make(chan relayedMsg, relayQueue/relayWorkers)
	}
	s.cl.done = make(chan struct{})
	s.cl.relayed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "relayed_messages_total",
		Help: "Messages relayed between cluster nodes, by direction (in, out)."}, []string{"direction"})
	if s.cfg.Registerer != nil {
		s.cfg.Registerer.MustRegister(s.cl.relayed)
	}
	for _, in := range s.cl.in {
		s.cl.wg.Add(1)
		go s.relayWorker(in, s.cl.done)
	}
}

// stopCluster ends the relay workers; it is idempotent.
func (s *Server) stopCluster() {
	if s.cl.done == nil {
		return
	}
	select {
	case <-s.cl.done:
	default:
		close(s.cl.done)
	}
	s.cl.wg.Wait()
}
