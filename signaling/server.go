package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/sfu"
)

// Config configures a signaling Server. Zero fields take the documented
// defaults.
type Config struct {
	// AppID and AppSecret identify the app whose tokens are accepted.
	AppID     string
	AppSecret string
	// ICEServers are handed to clients in the hello result (none by default).
	ICEServers []ICEServer
	// ICEServersFor, if set, replaces ICEServers: it is called once per
	// hello with the signed-in user and the expiry of the token, and
	// returns the servers for that session (e.g. TURN with an ephemeral
	// per-session credential).
	ICEServersFor func(userID string, tokenExpires time.Time) []ICEServer
	// AllowedOrigins restricts browser Origins (host or full origin); empty
	// accepts any.
	AllowedOrigins []string
	// ResumeGrace is how long a dropped session is kept. Default 20 s.
	ResumeGrace time.Duration
	// HelloTimeout is how long a connection may stay without hello.
	// Default 10 s.
	HelloTimeout time.Duration
	// PingInterval is the server ping period. Default 15 s.
	PingInterval time.Duration
	// PeerTimeout drops a silent peer. Default 45 s.
	PeerTimeout time.Duration
	// RateLimit and RateBurst size the per-connection token bucket.
	// Defaults 50/s and 100.
	RateLimit float64
	RateBurst int
	// RefusalLimit refused messages within RefusalWindow close the
	// connection with 4008. Defaults 200 and 10 s.
	RefusalLimit  int
	RefusalWindow time.Duration
	// SendQueue is the per-connection send queue length. Default 512.
	SendQueue int
	// CallDefaults is the call config for fields a request omits.
	CallDefaults room.Config
	// Clock drives ring timers (tests use a fake). Default: wall clock.
	Clock room.Clock
	// Observer is told about call lifecycle changes (webhooks).
	Observer room.Observer
	// Recorder, if set, is told every fact call history keeps (package
	// room/history). Its methods must not block.
	Recorder room.History
	// History, if set, serves the callHistory and markMissedSeen requests
	// and the hello's missedCalls (history.go).
	History HistoryReader
	// HistoryAPI, if set, serves the server API's history endpoints.
	HistoryAPI HistoryAPI
	// Push, if set, stores push registrations: the registerPush and
	// unregisterPush requests and the server API's push endpoints (push.go).
	Push PushRegistry
	// PushSink, if set, is told when rings start and stop, to push to the
	// devices that are not connected (push_tap.go).
	PushSink PushSink
	// MediaAPI enables media (PROTOCOL.md §6); nil serves signaling only and
	// media requests get `unavailable`.
	MediaAPI *webrtc.API
	// PeerConfig is the template for every member's sfu.PeerConfig.
	PeerConfig sfu.PeerConfig
	// MaxPendingConns caps WebSocket connections that have not signed in
	// yet; more are refused with HTTP 503. Default 1000.
	MaxPendingConns int
	// MaxPendingPerAddr caps such connections per source IP address; more
	// are refused with HTTP 429. Default 200.
	MaxPendingPerAddr int
	// MaxDevices caps the sessions of one user; a hello for one more
	// device ends the user's oldest session (close 4010). Default 10.
	MaxDevices int
	// MaxCallSize caps members plus waiting invitees per call; default
	// room.DefaultMaxCallSize (50).
	MaxCallSize int
	// MaxOutstandingInvites caps the waiting invitations one user has sent
	// across calls; default room.DefaultMaxOutstandingInvites (100).
	MaxOutstandingInvites int
	// Registerer receives the Prometheus metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger is the parent logger.
	Logger zerolog.Logger
	// Cluster, when set, makes this server one node of a cluster
	// (cluster.go). Default nil: a single node.
	Cluster *Cluster
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ResumeGrace, 20*time.Second)
	def(&c.HelloTimeout, 10*time.Second)
	def(&c.PingInterval, 15*time.Second)
	def(&c.PeerTimeout, 45*time.Second)
	def(&c.RefusalWindow, 10*time.Second)
	if c.RateLimit <= 0 {
		c.RateLimit = 50
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 100
	}
	if c.RefusalLimit <= 0 {
		c.RefusalLimit = 200
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 512
	}
	if c.MaxPendingConns <= 0 {
		c.MaxPendingConns = 1000
	}
	if c.MaxPendingPerAddr <= 0 {
		c.MaxPendingPerAddr = 200
	}
	if c.MaxDevices <= 0 {
		c.MaxDevices = 10
	}
	if c.ICEServers == nil {
		c.ICEServers = []ICEServer{}
	}
}

// Server is the /v1/signal endpoint: it upgrades connections, signs them in
// and routes their requests to the room Manager.
type Server struct {
	cfg      Config
	log      zerolog.Logger
	metrics  *Metrics
	verifier *TokenVerifier
	upgrader websocket.Upgrader
	kinds    map[string]func() validator
	hub      *hub
	mgr      *room.Manager
	draining atomic.Bool    // Shutdown has begun
	refusing atomic.Bool    // Refuse was called: new upgrades get 503
	wg       sync.WaitGroup // connection pumps
	cl       clusterState   // zero on a single node

	mu      sync.Mutex
	conns   map[*conn]struct{} // guarded by mu
	pending admission          // guarded by mu
}

// New builds a Server and its room Manager.
func New(cfg Config) (*Server, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, fmt.Errorf("signaling: app id and secret are required: %w", ErrBadRequest)
	}
	if cfg.Cluster != nil {
		if err := cfg.Cluster.check(); err != nil {
			return nil, err
		}
	}
	cfg.setDefaults()
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		metrics:  NewMetrics(cfg.Registerer),
		verifier: NewTokenVerifier(cfg.AppID, cfg.AppSecret),
		kinds:    requestKinds(),
		conns:    make(map[*conn]struct{}),
		pending:  admission{byAddr: make(map[string]int)},
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		// Write buffers are taken from a pool only while a message is
		// being written, so idle connections hold none.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
	}
	s.hub = newHub(cfg.ResumeGrace, cfg.MaxDevices, cfg.Logger, s.metrics, func(c room.Caller) { s.clusterOffline(c); s.sessionEnded(c) })
	s.hub.clusterCap = cfg.Cluster != nil
	if cfg.PeerConfig.Stats == nil {
		cfg.PeerConfig.Stats = &sfu.Stats{}
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(newMediaCollector(cfg.PeerConfig.Stats))
	}
	obs := Observers{newCallMetrics(cfg.Registerer)}
	if cfg.Observer != nil {
		obs = append(obs, cfg.Observer)
	}
	mc := room.ManagerConfig{
		Notifier:   s.hub,
		Clock:      cfg.Clock,
		Defaults:   cfg.CallDefaults,
		Observer:   obs,
		History:    cfg.Recorder,
		MediaAPI:   cfg.MediaAPI,
		PeerConfig: cfg.PeerConfig,
		Logger:     cfg.Logger,

		MaxCallSize:           cfg.MaxCallSize,
		MaxOutstandingInvites: cfg.MaxOutstandingInvites,
	}
	s.clusterManager(&mc)
	mc.Notifier = s.withPush(mc.Notifier)
	mgr, err := room.NewManager(mc)
	if err != nil {
		return nil, fmt.Errorf("signaling: %w", err)
	}
	s.mgr = mgr
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(s.gauges()...)
	}
	s.startCluster()
	return s, nil
}

// Manager returns the room manager (for metrics and tests).
func (s *Server) Manager() *room.Manager { return s.mgr }

// Sessions returns the number of live sessions.
func (s *Server) Sessions() int { return s.hub.count() }

// checkOrigin accepts any Origin unless AllowedOrigins is set; requests
// without Origin (native clients) are always accepted.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.AllowedOrigins) == 0 {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	for _, a := range s.cfg.AllowedOrigins {
		if a == "*" || strings.EqualFold(a, origin) || strings.EqualFold(a, u.Host) {
			return true
		}
	}
	return false
}

// Refuse makes the server refuse new WebSocket upgrades with 503 while the
// connections it has keep going: the first step of a drain, so that new
// sessions go to another server. Shutdown follows.
func (s *Server) Refuse() { s.refusing.Store(true) }

// ServeHTTP upgrades a request to a signaling WebSocket, unless the server
// is draining (503) or too many connections wait for their hello (503 in
// total, 429 from one address).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() || s.refusing.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	addr := sourceAddr(r)
	if status, ok := s.admit(addr); !ok {
		refuse(w, status)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.release(addr)
		return // the upgrader has answered
	}
	c := newConn(s, ws)
	c.pendingAddr = addr
	c.pending.Store(true)
	c.log = s.log.With().Str("remote", r.RemoteAddr).Logger()
	if !s.track(c) {
		c.releasePending()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "shutting down"), time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	s.wg.Add(2)
	go c.writePump()
	go c.readPump()
}

// track registers a connection; it fails while draining.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// untrack forgets a connection.
func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// signIn completes a valid hello: it binds the connection to a session,
// answers with the hello result, then releases events held meanwhile.
func (s *Server) signIn(c *conn, id *string, ident Identity, hello *HelloRequest) {
	missed := s.helloMissed(ident.UserID) // before the session holds its events
	at, err := s.attachSession(c, ident, hello)
	if err != nil {
		c.sendErr(id, err)
		c.closeWith(CloseGoingAway, "shutting down")
		return
	}
	sess, resumed, old := at.sess, at.resumed, at.old
	if ev := at.evicted; ev != nil {
		s.endEvicted(ev)
	}
	c.sess = sess
	c.releasePending()
	c.bucket = newTokenBucket(s.cfg.RateLimit, float64(s.cfg.RateBurst), time.Now())
	c.log = s.log.With().Str("session_id", sess.id).Str("user_id", ident.UserID).Str("device", hello.DeviceID).Logger()
	c.authed.Store(true)
	if old != nil {
		old.closeWith(CloseSessionTakenBy, "session taken over")
	}
	s.mgr.SetTokenName(room.UserID(ident.UserID), ident.Name)
	s.clusterOnline(sess, ident.Name)
	pending, state := s.attach(sess.caller())
	res := HelloResult{
		SessionID:          sess.id,
		Resumed:            resumed,
		User:               wireUser(s.mgr.UserOf(room.UserID(ident.UserID))),
		ICEServers:         s.iceServers(ident),
		PendingInvitations: make([]IncomingCall, len(pending)),
		MissedCalls:        missed,
	}
	ringing := make(map[string]bool, len(pending))
	for i, p := range pending {
		res.PendingInvitations[i] = wireIncomingCall(p)
		ringing[string(p.CallID)] = true
	}
	if state != nil {
		cs := wireCallState(*state)
		res.Call = &cs
	}
	var rings [][]byte
	if id == nil {
		// A request without id gets no reply on success (PROTOCOL.md §2),
		// so its waiting invitations arrive as incomingCall events.
		for _, p := range res.PendingInvitations {
			if b, err := encodeEvent(TypeIncomingCall, p); err == nil {
				rings = append(rings, b)
			}
		}
	}
	data, err := json.Marshal(res)
	if err != nil {
		c.sendError(id, CodeInternal, "internal error")
		return
	}
	var msg []byte
	if id != nil {
		msg, _ = appendEnvelope(id, TypeResult, data)
	}
	c.log.Info().Bool("resumed", resumed).Msg("signed in")
	sess.finishHandshake(msg, rings, ringing)
}

// Shutdown drains the server: new connections are refused, every WebSocket
// gets close 1001, rooms close, and every goroutine is waited for (or ctx
// ends).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining.Store(true)
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.hub.closeAll()
	for _, c := range conns {
		c.closeWith(CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		s.stopCluster()
		s.mgr.Close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.shutdown()
		}
		<-done
		return fmt.Errorf("signaling shutdown: %w", ctx.Err())
	}
}

// iceServers returns the ICE servers for a session of ident.
func (s *Server) iceServers(ident Identity) []ICEServer {
	if s.cfg.ICEServersFor == nil {
		return s.cfg.ICEServers
	}
	if l := s.cfg.ICEServersFor(ident.UserID, ident.Expires); l != nil {
		return l
	}
	return []ICEServer{}
}
