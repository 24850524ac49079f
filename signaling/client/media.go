package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
)

// Media (PROTOCOL.md §6): a Session is one call member's pair of real Pion
// PeerConnections, the publisher (the client offers the tracks it sends)
// and the subscriber (the server offers the tracks the client receives).
//
// Goroutines of a Session, each ended by Close:
//
//   - one worker that handles, in order, the server's `offer` and `trickle`
//     events of the session's call (taken from the Client before they reach
//     the application's queue) and sends the session's own trickle
//     candidates;
//   - one RTCP reader per published layer (keyframe requests, and the NACK
//     responder and sender reports only run while RTCP is read);
//   - one RTCP reader per received track.
//
// Pion calls OnTrack handlers from goroutines of its own.

// ErrMediaClosed is returned by the methods of a closed Session.
var ErrMediaClosed = errors.New("client: media session closed")

// Targets of PROTOCOL.md §6.
const (
	TargetPublisher  = "publisher"
	TargetSubscriber = "subscriber"
)

// MediaConfig configures a Session. The zero value is usable: the default
// API, the hello result's ICE servers, complete SDPs without trickle.
type MediaConfig struct {
	// API creates both PeerConnections. Default: NewMediaAPI with
	// LoopbackOnly and Logger below.
	API *webrtc.API
	// LoopbackOnly is passed to NewMediaAPI when API is nil.
	LoopbackOnly bool
	// ICEServers overrides the STUN/TURN servers of the hello result.
	// Default: those of the hello result of the Client the Session is on,
	// taken anew for each pair of PeerConnections, so that a media reset
	// after a resume uses the new session's TURN credentials (they are
	// per session and expire; PROTOCOL.md §9).
	ICEServers []webrtc.ICEServer
	// ICETransportPolicy is passed to both PeerConnections. Default all;
	// webrtc.ICETransportPolicyRelay connects only through the TURN
	// servers (those of the hello result carry a per-session credential
	// when the server runs its embedded TURN server or has --turn-secret).
	ICETransportPolicy webrtc.ICETransportPolicy
	// Trickle sends SDPs as soon as they are made and the session's ICE
	// candidates as `trickle` requests afterwards (never before the SDP
	// they belong to has been answered). Default false: each SDP is sent
	// once ICE gathering is complete and carries every candidate, and no
	// trickle is sent. Server trickle events are applied either way.
	Trickle bool
	// GatherTimeout bounds the wait for ICE gathering without Trickle.
	// Default 5 s.
	GatherTimeout time.Duration
	// RequestTimeout bounds the requests the session's worker makes on
	// its own (`answer`, `trickle`). Default 10 s.
	RequestTimeout time.Duration
	// Logger receives the session's logs (and Pion's, when the default
	// API is built). The zero value discards.
	Logger zerolog.Logger
	// OnConnectionState, if set, reports state changes of the publisher
	// and subscriber PeerConnections (target TargetPublisher or
	// TargetSubscriber). When the server ends the member's media (leave,
	// removal, call end) its side closes: the tracks end at once and the
	// PeerConnections turn disconnected, then failed, as ICE consent
	// expires. It is called from Pion's goroutines and must not block.
	OnConnectionState func(target string, state webrtc.PeerConnectionState)
	// OnMediaReset, if set, is called from the session's worker each time
	// it replaced its PeerConnections (media_reset.go): with the reason of
	// the server's mediaReset event, or "" when the session asked for the
	// reset itself. It must not block.
	OnMediaReset func(reason string)
}

// RemoteTrack is a track received on the subscriber PeerConnection.
type RemoteTrack struct {
	// UserID is the publisher's user id: the msid stream id (§6).
	UserID string
	// TrackID is the server's track id, as in `tracks` events.
	TrackID  string
	Track    *webrtc.TrackRemote
	Receiver *webrtc.RTPReceiver
}

// Session is one call member's media: a publisher and a subscriber
// PeerConnection bound to a call. Create it with StartMedia. Its methods
// are safe for concurrent use.
type Session struct {
	cl     atomic.Pointer[Client] // the connection in use; Attach replaces it
	callID string
	cfg    MediaConfig
	log    zerolog.Logger
	api    *webrtc.API
	pcCfg  webrtc.Configuration
	// hookMu serializes moving the session between Clients; unhook,
	// guarded by it, removes the hook of the current Client. It is never
	// held with mu the other way round: a hook runs take, which takes mu.
	hookMu sync.Mutex
	unhook func()

	ctx    context.Context // canceled by Close: aborts the session's requests
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{} // capacity 1: the worker has work
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	pubMu sync.Mutex // serializes publisher negotiations (the client is the only offerer)

	mu     sync.Mutex
	closed bool           // guarded by mu
	queue  []work         // guarded by mu
	pubs   []*Publication // guarded by mu
	pcs    *pcPair        // guarded by mu: the current PeerConnections
	resets int            // guarded by mu: media resets done
	seq    uint64         // guarded by mu: server events taken so far
	// lastReset and backoff pace resets asked for by the session itself
	// (worker only).
	lastReset     time.Time
	backoff       time.Duration
	onTrack       func(RemoteTrack) // guarded by mu
	pendingTracks []RemoteTrack     // guarded by mu: received before OnTrack was set
	offers        int               // guarded by mu: subscriber offers answered
	trickled      int               // guarded by mu: own candidates the server accepted
}

// work is one item for the worker: a server event, an own candidate (of
// the PeerConnections pcs), or a reset the session asks for itself.
type work struct {
	seq   uint64 // order of arrival of server events
	ev    Event
	out   *signaling.TrickleRequest
	pcs   *pcPair
	reset string // why the session resets its own media
	// connected: a PeerConnection of pcs connected (resets the pacing).
	connected bool
}

// StartMedia creates the publisher and subscriber PeerConnections of this
// client's membership in callID and starts answering the server's
// subscriber offers. The server sends its first offer as soon as there is
// something to receive; offers already queued on the Client are taken too.
// Nothing is published until Publish. A Client has at most one Session per
// call; Close it when the member leaves (the server closes its side).
func (c *Client) StartMedia(ctx context.Context, callID string, cfg MediaConfig) (*Session, error) {
	if callID == "" {
		return nil, errors.New("client: StartMedia: empty call id")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 5 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	api := cfg.API
	if api == nil {
		var err error
		if api, err = NewMediaAPI(MediaAPIConfig{LoopbackOnly: cfg.LoopbackOnly, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
	}
	ice := cfg.ICEServers
	if ice == nil {
		ice = helloICEServers(c.hello)
	}
	s := &Session{
		callID: callID,
		cfg:    cfg,
		log:    cfg.Logger.With().Str("call_id", callID).Logger(),
		api:    api,
		pcCfg: webrtc.Configuration{ICEServers: ice, BundlePolicy: webrtc.BundlePolicyMaxBundle,
			ICETransportPolicy: cfg.ICETransportPolicy},
		done: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	s.cl.Store(c)
	if _, loaded := c.mediaSessions.LoadOrStore(callID, s); loaded {
		return nil, fmt.Errorf("client: StartMedia: a media session for call %q exists", callID)
	}
	pcs, err := s.newPCs()
	if err != nil {
		c.mediaSessions.Delete(callID)
		return nil, err
	}
	s.pcs = pcs
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.goRun(s.workLoop)
	s.hookMu.Lock()
	s.unhook = c.addHook(s.take, hookedTypes...)
	s.hookMu.Unlock()
	return s, nil
}

// hookedTypes are the events a Session takes from its Client.
var hookedTypes = []string{signaling.TypeOffer, signaling.TypeTrickle, signaling.TypeMediaReset, signaling.TypePublisherLayers}

// CallID returns the call the session belongs to.
func (s *Session) CallID() string { return s.callID }

// Publisher returns the current publisher PeerConnection (for stats or
// state; do not negotiate on it). A media reset replaces it.
func (s *Session) Publisher() *webrtc.PeerConnection { return s.cur().pub }

// Subscriber returns the current subscriber PeerConnection (for stats or
// state; do not negotiate on it). A media reset replaces it.
func (s *Session) Subscriber() *webrtc.PeerConnection { return s.cur().sub }

// Client returns the connection the session uses (see Attach).
func (s *Session) Client() *Client { return s.cl.Load() }

// Done is closed when the session is closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// SubscriberOffers returns how many server offers the session answered.
func (s *Session) SubscriberOffers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offers
}

// CandidatesTrickled returns how many of its own ICE candidates the
// session sent with `trickle` and the server accepted (0 without Trickle).
func (s *Session) CandidatesTrickled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trickled
}

// Close closes both PeerConnections and waits for the session's
// goroutines and for the OnTrack handlers to return (their reads fail once
// the PeerConnections are closed). It does not leave the call. Events of the call that arrive
// afterwards go to the Client's queue again. Close is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.hookMu.Lock()
		s.unhook()
		s.hookMu.Unlock()
		s.mu.Lock()
		s.closed = true
		s.queue = nil
		pcs := s.pcs
		s.mu.Unlock()
		s.cancel()
		close(s.done)
		s.closeErr = errors.Join(pcs.sub.Close(), pcs.pub.Close())
		s.wg.Wait()
		s.cl.Load().mediaSessions.CompareAndDelete(s.callID, s)
	})
	return s.closeErr
}

// goRun runs f in a goroutine the session owns.
func (s *Session) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// wire installs the candidate and state handlers of one PeerConnection
// of pcs.
func (s *Session) wire(pcs *pcPair, target string, pc *webrtc.PeerConnection) {
	log := s.log.With().Str("pc", target).Logger()
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		log.Debug().Str("state", st.String()).Msg("connection state")
		switch {
		case st == webrtc.PeerConnectionStateFailed && s.cur() == pcs:
			s.enqueue(work{reset: target + " pc failed", pcs: pcs})
		case st == webrtc.PeerConnectionStateConnected:
			s.enqueue(work{connected: true, pcs: pcs})
		}
		if s.cfg.OnConnectionState != nil {
			s.cfg.OnConnectionState(target, st)
		}
	})
	if !s.cfg.Trickle {
		return
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		var cand *signaling.Candidate
		if c != nil {
			init := c.ToJSON()
			cand = &signaling.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex}
		}
		s.localCandidate(pcs, target, cand)
	})
}

// take is the Client hook: it takes the `offer` and `trickle` events of the
// session's call. It runs under the Client's lock and only enqueues.
func (s *Session) take(ev Event) bool {
	switch d := ev.Data.(type) {
	case *signaling.SubscriberOffer:
		if d.CallID != s.callID {
			return false
		}
	case *signaling.TrickleRequest:
		if d.CallID != s.callID {
			return false
		}
	case *signaling.MediaReset:
		if d.CallID != s.callID {
			return false
		}
	case *signaling.PublisherLayers:
		if d.CallID != s.callID {
			return false
		}
	default:
		return false
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	s.enqueue(work{ev: ev, seq: seq})
	return true
}

// enqueue adds an item for the worker; it never blocks.
func (s *Session) enqueue(w work) {
	s.mu.Lock()
	if !s.closed {
		s.queue = append(s.queue, w)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// workLoop handles queued items in order until Close.
func (s *Session) workLoop() {
	for {
		s.mu.Lock()
		var w work
		have := len(s.queue) > 0
		if have {
			w = s.queue[0]
			s.queue = s.queue[1:]
		}
		s.mu.Unlock()
		if !have {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		switch {
		case w.reset != "":
			s.ownReset(w)
		case w.connected:
			if w.pcs == s.cur() {
				s.backoff = 0
			}
		case w.out != nil:
			s.sendTrickle(w)
		case w.ev.Type == signaling.TypeMediaReset:
			s.serverReset(w.ev.Data.(*signaling.MediaReset))
		case w.ev.Type == signaling.TypePublisherLayers:
			s.applyLayers(w.ev.Data.(*signaling.PublisherLayers))
		case w.ev.Type == signaling.TypeOffer:
			s.handleOffer(w.ev.Data.(*signaling.SubscriberOffer))
		case w.ev.Type == signaling.TypeTrickle:
			s.handleTrickle(w.ev.Data.(*signaling.TrickleRequest))
		}
	}
}

// request makes a request on behalf of the worker, bounded by
// RequestTimeout and aborted by Close.
func (s *Session) request(typ string, data, out any) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.cl.Load().Request(ctx, typ, data, out)
}

// bind returns ctx, also canceled when the session closes.
func (s *Session) bind(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// localDescription sets d on pc and returns the SDP to send: at once with
// Trickle, else once gathering is complete (or GatherTimeout passed).
func (s *Session) localDescription(pc *webrtc.PeerConnection, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	if !s.cfg.Trickle {
		t := time.NewTimer(s.cfg.GatherTimeout)
		defer t.Stop()
		select {
		case <-gathered:
		case <-t.C:
			s.log.Warn().Msg("ice gathering timed out; sending a partial sdp")
		case <-s.done:
			return "", ErrMediaClosed
		}
	}
	return pc.LocalDescription().SDP, nil
}

func targetIndex(target string) int {
	if target == TargetSubscriber {
		return 1
	}
	return 0
}

// helloICEServers converts a hello result's ICE servers for Pion.
func helloICEServers(h signaling.HelloResult) []webrtc.ICEServer {
	var ice []webrtc.ICEServer
	for _, s := range h.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return ice
}
