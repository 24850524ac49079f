package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling"
)

// Media reset (PROTOCOL.md §9 mediaReset): the session replaces both
// PeerConnections, publishes its publications again on the new publisher
// PC and answers the server's next subscriber offer on the new subscriber
// PC. It happens when the server sends a `mediaReset` event (any reason),
// and when one of the session's own PeerConnections fails: then the
// session first asks the server with a `mediaReset` request. Remote tracks
// of the old subscriber PC end (their reads fail); the new ones reach the
// OnRemoteTrack handler again.

// Pacing of resets the session asks for itself, so that a network outage
// does not turn into a reset storm: the first at once, then waits doubling
// from resetBackoffMin up to resetBackoffMax.
const (
	resetBackoffMin = 500 * time.Millisecond
	resetBackoffMax = 4 * time.Second
)

// pcPair is one generation of the session's PeerConnections, with their
// candidate gates: early holds server candidates until the target's
// remote SDP is set, localCands own candidates until the target's SDP was
// answered.
type pcPair struct {
	pub, sub   *webrtc.PeerConnection
	early      [2]media.Gate[webrtc.ICECandidateInit]
	localCands [2]media.Gate[*signaling.Candidate]
}

// newPCs creates and wires a new pair of PeerConnections.
func (s *Session) newPCs() (*pcPair, error) {
	p := &pcPair{}
	for i := range p.early {
		p.early[i].Max = maxEarlyCandidates
	}
	cfg := s.pcCfg
	if s.cfg.ICEServers == nil {
		// The current Client's hello result: its TURN credentials are per
		// session and expire, so a reset after a resume takes the new ones.
		if c := s.cl.Load(); c != nil {
			cfg.ICEServers = helloICEServers(c.hello)
		}
	}
	var err error
	if p.pub, err = s.api.NewPeerConnection(cfg); err != nil {
		return nil, fmt.Errorf("client: publisher pc: %w", err)
	}
	if p.sub, err = s.api.NewPeerConnection(cfg); err != nil {
		_ = p.pub.Close()
		return nil, fmt.Errorf("client: subscriber pc: %w", err)
	}
	s.wire(p, TargetPublisher, p.pub)
	s.wire(p, TargetSubscriber, p.sub)
	p.sub.OnTrack(s.handleTrack)
	return p, nil
}

// cur returns the current PeerConnections.
func (s *Session) cur() *pcPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pcs
}

// MediaResets returns how many times the session rebuilt its media.
func (s *Session) MediaResets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resets
}

// serverReset handles the server's `mediaReset` event.
func (s *Session) serverReset(ev *signaling.MediaReset) {
	s.log.Info().Str("reason", ev.Reason).Msg("server reset the media")
	s.rebuild(ev.Reason)
}

// ownReset handles a failure of one of the session's PeerConnections (or
// a check after Attach): it asks the server for a reset, drops the server
// events that were sent before the reset took effect, and rebuilds.
func (s *Session) ownReset(w work) {
	if w.pcs != nil && w.pcs != s.cur() {
		return // those PeerConnections were replaced already
	}
	if wait := time.Until(s.lastReset.Add(s.backoff)); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		}
	}
	s.backoff = min(max(2*s.backoff, resetBackoffMin), resetBackoffMax)
	s.lastReset = time.Now()
	s.log.Info().Str("why", w.reset).Msg("asking the server for a media reset")
	var cut uint64 // server events up to this one were sent before the reset
	mark := func() {
		s.mu.Lock()
		cut = s.seq
		s.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	err := s.cl.Load().request(ctx, signaling.TypeMediaReset, signaling.MediaResetRequest{CallID: s.callID}, nil, mark)
	cancel()
	if err != nil {
		s.log.Warn().Err(err).Msg("media reset refused")
		if !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) && Code(err) == "" {
			// Not answered (timeout): try again later.
			s.enqueue(work{reset: w.reset})
		}
		return
	}
	// The events the server sent before the result (seq <= cut) are of
	// the old media: offers and resets are void.
	s.mu.Lock()
	kept := s.queue[:0:0]
	for _, q := range s.queue {
		old := q.seq != 0 && q.seq <= cut
		if old && (q.ev.Type == signaling.TypeOffer || q.ev.Type == signaling.TypeTrickle || q.ev.Type == signaling.TypeMediaReset) {
			s.log.Debug().Str("type", q.ev.Type).Msg("event of the old media voided")
			continue
		}
		kept = append(kept, q)
	}
	s.queue = kept
	s.mu.Unlock()
	s.rebuild("")
}

// rebuild replaces both PeerConnections and publishes the session's
// publications again. It runs on the worker, so the server's next offer
// is answered on the new subscriber PC.
func (s *Session) rebuild(reason string) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if f := s.cfg.OnMediaReset; f != nil {
		defer f(reason)
	}
	if s.isClosed() {
		return
	}
	pcs, err := s.newPCs()
	if err != nil {
		s.log.Error().Err(err).Msg("media reset: new peer connections")
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = pcs.pub.Close()
		_ = pcs.sub.Close()
		return
	}
	old := s.pcs
	s.pcs = pcs
	s.resets++
	var pubs []*Publication
	for _, p := range s.pubs {
		if !p.removed {
			pubs = append(pubs, p)
		}
	}
	s.pubs = pubs
	s.mu.Unlock()
	if err := errors.Join(old.sub.Close(), old.pub.Close()); err != nil {
		s.log.Debug().Err(err).Msg("media reset: close old peer connections")
	}
	if len(pubs) == 0 {
		return
	}
	for _, p := range pubs {
		first := p.local.Track
		if len(p.layers) > 0 {
			first = p.layers[0]
		}
		p.started = false
		p.resumeLayers()
		if err := s.attachTrack(p, first); err != nil {
			s.log.Error().Err(err).Msg("media reset: publish again")
			return
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	var cut uint64 // server events up to this one came before the offer's reply
	mark := func() {
		s.mu.Lock()
		cut = s.seq
		s.mu.Unlock()
	}
	if err := s.negotiatePublisherWith(ctx, nil, mark); err != nil {
		s.log.Warn().Err(err).Msg("media reset: publisher offer")
		return
	}
	s.voidResetsBefore(cut)
	for _, p := range pubs {
		s.startRTCP(p)
	}
}

// voidResetsBefore drops queued server mediaReset events received before
// the reply to the publisher offer of a rebuild (seq <= cut): the server
// sent them before it took that offer, so they concern media older than
// the rebuild (e.g. a call taken over tells a member ownerChanged both
// when restored and when the member's device attaches), and acting on one
// would throw away the media the server is building from the offer.
func (s *Session) voidResetsBefore(cut uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.queue[:0:0]
	for _, q := range s.queue {
		if q.seq != 0 && q.seq <= cut && q.ev.Type == signaling.TypeMediaReset {
			s.log.Debug().Msg("mediaReset sent before the rebuild's offer was taken: voided")
			continue
		}
		kept = append(kept, q)
	}
	s.queue = kept
}

// Reset asks the server to drop this member's media and starts it again
// on new PeerConnections (the session does it by itself when one of its
// PeerConnections fails). It returns at once; the reset runs on the
// session's worker.
func (s *Session) Reset() {
	s.enqueue(work{reset: "asked by the application"})
}

// Attach moves the session onto c, a new connection of the same device
// that resumed the session of the old one (hello with resume): requests go
// through c from now on, and c's `offer`, `trickle` and `mediaReset`
// events of the call reach the session (the server re-sends an unanswered
// offer on resume). If a PeerConnection failed or was closed meanwhile,
// the session asks for a media reset and starts again.
func (s *Session) Attach(c *Client) error {
	if c == nil {
		return errors.New("client: Attach: nil client")
	}
	s.hookMu.Lock()
	if s.isClosed() {
		s.hookMu.Unlock()
		return ErrMediaClosed
	}
	old := s.cl.Load()
	if old == c {
		s.hookMu.Unlock()
		return nil
	}
	if _, loaded := c.mediaSessions.LoadOrStore(s.callID, s); loaded {
		s.hookMu.Unlock()
		return fmt.Errorf("client: Attach: a media session for call %q exists on that client", s.callID)
	}
	s.unhook()
	s.cl.Store(c)
	old.mediaSessions.CompareAndDelete(s.callID, s)
	s.unhook = c.addHook(s.take, hookedTypes...)
	s.hookMu.Unlock()
	pcs := s.cur()
	for _, pc := range []*webrtc.PeerConnection{pcs.pub, pcs.sub} {
		switch pc.ConnectionState() {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			s.enqueue(work{reset: "pc lost while the connection was down", pcs: pcs})
			return nil
		}
	}
	return nil
}
