package sfu

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// PeerConfig configures a Peer. Callbacks are set before NewPeer returns
// and are called from the Peer's goroutines (and Pion's): they must not
// block and must not call back into the Peer synchronously — hand the event
// to your own goroutine (e.g. a non-blocking enqueue) instead. A nil
// callback is ignored.
type PeerConfig struct {
	// API creates the two PeerConnections; use media.Engine.API(). Required.
	API *webrtc.API
	// Logger receives the Peer's logs; it should carry the app's ids
	// (session, user, call). The zero value discards.
	Logger zerolog.Logger
	// GatherTimeout bounds the wait for ICE gathering before an SDP is
	// handed out. Default 5 s.
	GatherTimeout time.Duration
	// PublisherStartBitrate and PublisherMinBitrate (kbps) are written into
	// the publisher answer's video codecs as x-google-start-bitrate and
	// x-google-min-bitrate, which make browsers send their top simulcast
	// layer from the start (README.md § Testing). Default 0: not written.
	PublisherStartBitrate, PublisherMinBitrate int

	// OnSubscriberOffer delivers a server offer for the subscriber PC, to be
	// sent to the client. One offer is outstanding at a time; the next comes
	// only after SetSubscriberAnswer.
	OnSubscriberOffer func(sdp string)
	// OnCandidate delivers a server ICE candidate for trickle; nil means end
	// of candidates. Server SDPs are only handed out once ICE gathering has
	// completed, so they already carry every candidate and trickle is
	// optional: OnCandidate reports only candidates gathered after an SDP
	// was handed out (none in the normal flow), followed by nil.
	OnCandidate func(t Target, c *webrtc.ICECandidateInit)
	// OnUpTrack reports a published track that is readable and whose codec
	// has been verified (the codec of the first media packet matches the
	// track's kind). Subscribe may be called from then on.
	OnUpTrack func(*UpTrack)
	// OnUpTrackEnded reports that a published track ended: the publisher
	// removed it, or the Peer closed. Its DownTracks have already been
	// removed from the subscribers (their PCs renegotiate).
	OnUpTrackEnded func(*UpTrack)
	// OnPublisherLayers reports, for a simulcast track this Peer
	// publishes, the rids of the layers some subscriber needs (lowest
	// first; the lowest layer is always included): once when the track
	// starts and then on every change of that set (layers_pause.go). The
	// app tells the publisher to pause the other layers. It is called from
	// the track's control goroutine, possibly before OnUpTrack.
	OnPublisherLayers func(u *UpTrack, active []string)
	// OnConnectionState reports a PeerConnection state change.
	OnConnectionState func(t Target, s webrtc.PeerConnectionState)
	// OnFailed reports, at most once per Peer, that its media cannot go
	// on: a PC failed, was closed by the remote side, or stayed
	// disconnected past DisconnectedGrace (health.go). The app should
	// Close the Peer and let the client start again with a new one.
	OnFailed func(t Target, reason FailReason)
	// DisconnectedGrace is how long a PC may stay disconnected (or
	// reconnecting after an ICE restart) before OnFailed. Default 8 s.
	DisconnectedGrace time.Duration

	// Stats, shared by every Peer of a server, counts the media plane's
	// work (stats.go). Default nil: the Peer counts into a private Stats
	// nobody reads.
	Stats *Stats
	// FastPath, when set (media.Engine.FastPath), lets DownTracks encrypt
	// and send themselves over the shared socket (fastpath.go).
	FastPath *media.FastPath
	// ParallelFanOutMin is the number of subscribers a packet is written
	// to from which a track layer splits its fan-out across helper
	// goroutines (fanout.go). Default 64; negative: never split.
	ParallelFanOutMin int
}

// Peer is one call member's publisher and subscriber PeerConnections.
type Peer struct {
	cfg  PeerConfig
	log  zerolog.Logger
	pub  *webrtc.PeerConnection
	sub  *webrtc.PeerConnection
	pool media.BufferPool

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // every goroutine the Peer owns

	pubMu sync.Mutex // serializes Publish: the publisher PC's operations queue

	negKick chan struct{}      // capacity 1: the subscriber PC needs an offer
	answers chan answerRequest // SetSubscriberAnswer → negotiation goroutine

	handedOut  [2]atomic.Bool // per Target: an SDP with candidates was handed out
	lateCands  [2]atomic.Bool // per Target: a candidate was trickled
	videoDowns atomic.Int32   // video DownTracks, to split the REMB estimate
	subReady   atomic.Bool    // the subscriber PC has connected (DTLS done)
	iceRestart atomic.Bool    // the next subscriber offer restarts ICE
	restarted  [2]atomic.Bool // per Target: an ICE restart was tried since connected
	failed     atomic.Bool    // OnFailed was called
	fast       atomic.Pointer[fastPeer]

	reportsOnce sync.Once // starts reportLoop with the first subscription

	mu     sync.Mutex
	closed bool // guarded by mu
	// lossTimers, guarded by mu, run while a PC is disconnected (health.go).
	lossTimers [2]*time.Timer
	// early holds each PC's client candidates until its remote description
	// is set (trickle may overtake the SDP).
	early     [2]media.Gate[webrtc.ICECandidateInit]
	sources   map[string]string     // guarded by mu: mid → source
	simulcast map[string][]string   // guarded by mu: mid → rids
	ups       map[string]*UpTrack   // guarded by mu: mid → track
	downs     map[string]*DownTrack // guarded by mu: track id → track
}

// NewPeer creates both PeerConnections and starts the subscriber
// negotiation goroutine. Nothing is negotiated until Publish or Subscribe.
func NewPeer(cfg PeerConfig) (*Peer, error) {
	if cfg.API == nil {
		return nil, ErrNoAPI
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 5 * time.Second
	}
	if cfg.DisconnectedGrace <= 0 {
		cfg.DisconnectedGrace = defaultDisconnectedGrace
	}
	setDefaultCallbacks(&cfg)
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	pcCfg := webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle}
	pub, err := cfg.API.NewPeerConnection(pcCfg)
	if err != nil {
		return nil, fmt.Errorf("sfu: publisher pc: %w", err)
	}
	sub, err := cfg.API.NewPeerConnection(pcCfg)
	if err != nil {
		_ = pub.Close()
		return nil, fmt.Errorf("sfu: subscriber pc: %w", err)
	}
	p := &Peer{
		cfg:       cfg,
		log:       cfg.Logger,
		pub:       pub,
		sub:       sub,
		done:      make(chan struct{}),
		negKick:   make(chan struct{}, 1),
		answers:   make(chan answerRequest),
		sources:   map[string]string{},
		simulcast: map[string][]string{},
		ups:       map[string]*UpTrack{},
		downs:     map[string]*DownTrack{},
	}
	for i := range p.early {
		p.early[i].Max = maxEarlyCandidates
	}
	p.wire(TargetPublisher, pub)
	p.wire(TargetSubscriber, sub)
	pub.OnTrack(p.onTrack)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.negotiationLoop()
	}()
	return p, nil
}

func setDefaultCallbacks(cfg *PeerConfig) {
	if cfg.OnSubscriberOffer == nil {
		cfg.OnSubscriberOffer = func(string) {}
	}
	if cfg.OnCandidate == nil {
		cfg.OnCandidate = func(Target, *webrtc.ICECandidateInit) {}
	}
	if cfg.OnUpTrack == nil {
		cfg.OnUpTrack = func(*UpTrack) {}
	}
	if cfg.OnUpTrackEnded == nil {
		cfg.OnUpTrackEnded = func(*UpTrack) {}
	}
	if cfg.OnConnectionState == nil {
		cfg.OnConnectionState = func(Target, webrtc.PeerConnectionState) {}
	}
	if cfg.OnFailed == nil {
		cfg.OnFailed = func(Target, FailReason) {}
	}
}

// wire installs the ICE candidate and connection state handlers of one PC.
func (p *Peer) wire(t Target, pc *webrtc.PeerConnection) {
	i := targetIndex(t)
	log := p.log.With().Str("pc", string(t)).Logger()
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			if p.lateCands[i].Load() {
				p.cfg.OnCandidate(t, nil)
			}
			return
		}
		if !p.handedOut[i].Load() {
			return // part of the SDP that is being prepared
		}
		p.lateCands[i].Store(true)
		init := c.ToJSON()
		p.cfg.OnCandidate(t, &init)
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		log.Debug().Str("state", s.String()).Msg("connection state")
		if t == TargetSubscriber && s == webrtc.PeerConnectionStateConnected {
			p.subscriberConnected()
		}
		p.watchState(t, s)
		p.cfg.OnConnectionState(t, s)
	})
}

// subscriberConnected activates the DownTracks bound before the subscriber
// PC connected.
func (p *Peer) subscriberConnected() {
	p.startFastPath()
	p.subReady.Store(true)
	p.mu.Lock()
	downs := make([]*DownTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	for _, d := range downs {
		d.activate()
	}
}

// subscriberReady reports whether the subscriber PC has connected.
func (p *Peer) subscriberReady() bool { return p.subReady.Load() }

func targetIndex(t Target) int {
	if t == TargetSubscriber {
		return 1
	}
	return 0
}

// pc returns the PeerConnection of a target.
func (p *Peer) pc(t Target) *webrtc.PeerConnection {
	if t == TargetSubscriber {
		return p.sub
	}
	return p.pub
}

// enter registers a goroutine with the Peer; it returns false once the Peer
// is closed. A true return must be paired with leave.
func (p *Peer) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

func (p *Peer) leave() { p.wg.Done() }

// spawn runs f in a goroutine owned by the Peer, unless it is closed.
func (p *Peer) spawn(f func()) bool {
	if !p.enter() {
		return false
	}
	go func() {
		defer p.leave()
		f()
	}()
	return true
}

// isClosed reports whether Close has been called.
func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// UpTracks returns the tracks the Peer currently publishes.
func (p *Peer) UpTracks() []*UpTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*UpTrack, 0, len(p.ups))
	for _, u := range p.ups {
		out = append(out, u)
	}
	return out
}

// DownTrack returns the Peer's DownTrack for a track id, if subscribed.
func (p *Peer) DownTrack(trackID string) (*DownTrack, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.downs[trackID]
	return d, ok
}

// Close closes both PeerConnections and waits for every goroutine of the
// Peer to exit. The Peer's UpTracks end (OnUpTrackEnded is called for each,
// and other Peers drop their DownTracks of them); its DownTracks are
// detached from their UpTracks. Close is idempotent.
func (p *Peer) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.stopLossTimersLocked()
		downs := make([]*DownTrack, 0, len(p.downs))
		for _, d := range p.downs {
			downs = append(downs, d)
		}
		clear(p.downs)
		p.mu.Unlock()
		close(p.done)
		for _, d := range downs {
			d.up.removeDownTrack(d)
		}
		var errs []error
		if err := p.sub.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sfu: close subscriber pc: %w", err))
		}
		if err := p.pub.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sfu: close publisher pc: %w", err))
		}
		p.wg.Wait()
		p.closeErr = errors.Join(errs...)
		p.log.Debug().Msg("peer closed")
	})
	return p.closeErr
}

// waitGathering waits for ICE gathering to complete, the Peer to close, or
// GatherTimeout. It returns ErrClosed in the second case.
func (p *Peer) waitGathering(done <-chan struct{}, t Target) error {
	timer := time.NewTimer(p.cfg.GatherTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-p.done:
		return ErrClosed
	case <-timer.C:
		p.log.Warn().Str("pc", string(t)).Msg("ice gathering timed out; handing out a partial sdp")
	}
	p.handedOut[targetIndex(t)].Store(true)
	return nil
}
