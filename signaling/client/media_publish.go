package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling"
)

// Publisher side: the session offers, the server answers.

// Sources a LocalTrack may name (PROTOCOL.md §6).
const (
	SourceCamera     = "camera"
	SourceMicrophone = "microphone"
	SourceScreen     = "screen"
)

// ErrSimulcastExtensions is returned by Publish when a simulcast track was
// negotiated without the mid and rid header extensions, which the server
// needs to tell the layers apart (use NewMediaAPI or
// RegisterClientHeaderExtensions).
var ErrSimulcastExtensions = errors.New("client: simulcast needs the mid and rid header extensions")

// LocalTrack is one track to publish.
type LocalTrack struct {
	// Track sends the media: a *webrtc.TrackLocalStaticSample for encoded
	// frames (Pion packetizes them) or a *webrtc.TrackLocalStaticRTP for
	// ready RTP packets. For simulcast, Track is the first layer and
	// Layers the others, each created with its own webrtc.WithRTPStreamID;
	// the server knows the rids q, h and f (low, medium, high). The
	// session adds the mid and rid header extensions to every packet of a
	// layer (RFC 8843 §15.2, RFC 8852 §3), which Pion does not.
	Track  webrtc.TrackLocal
	Layers []webrtc.TrackLocal
	// Source is camera, microphone or screen. Default: microphone for
	// audio, camera for video.
	Source string
	// OnKeyframeRequest, if set, is called when the server asks for a
	// keyframe (PLI or FIR) of a layer (rid "" without simulcast). It must
	// not block.
	OnKeyframeRequest func(rid string)
	// OnLayers, if set, is called with the rids of the simulcast layers
	// the server wants sent (lowest first) each time it says so
	// (PROTOCOL.md §9.2); the session already drops the other layers'
	// packets, so an encoder may stop producing them. It must not block.
	OnLayers func(active []string)
}

// Publication is a published LocalTrack.
type Publication struct {
	// Source is the source announced to the server.
	Source string
	// RIDs lists the simulcast layers, nil without simulcast.
	RIDs []string
	// Sender and Transceiver are those of the current publisher PC; a
	// media reset replaces them (read them under no assumption of
	// stability while a reset may run).
	Sender      *webrtc.RTPSender
	Transceiver *webrtc.RTPTransceiver

	layers   []*ridTrack
	onKey    func(rid string)
	onLayers func(active []string)
	local    LocalTrack // as published, to publish again after a media reset
	removed  bool       // guarded by Session.mu
	started  bool       // guarded by Session.pubMu: RTCP readers running
}

// Mid returns the publication's m-line id ("" before negotiation).
func (p *Publication) Mid() string { return p.Transceiver.Mid() }

// Publish adds tracks to the publisher PeerConnection and negotiates: an
// `offer` request carrying the SDP and the mid → source list of every
// published track, then the server's answer. It returns when the answer is
// applied (the media flows once ICE and DTLS are up). On failure the added
// tracks are removed again.
func (s *Session) Publish(ctx context.Context, tracks ...LocalTrack) ([]*Publication, error) {
	if len(tracks) == 0 {
		return nil, errors.New("client: Publish: no tracks")
	}
	ctx, stop := s.bind(ctx)
	defer stop()
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.isClosed() {
		return nil, ErrMediaClosed
	}
	var added []*Publication
	pc := s.cur().pub
	undo := func() {
		for _, p := range added {
			_ = pc.RemoveTrack(p.Sender)
		}
	}
	for _, lt := range tracks {
		p, err := s.addTrack(lt)
		if err != nil {
			undo()
			return nil, err
		}
		added = append(added, p)
	}
	s.mu.Lock()
	s.pubs = append(s.pubs, added...)
	s.mu.Unlock()
	if err := s.negotiatePublisher(ctx, nil); err != nil {
		undo()
		s.mu.Lock()
		for _, p := range added {
			p.removed = true
		}
		s.mu.Unlock()
		return nil, err
	}
	var err error
	for _, p := range added {
		if p.RIDs != nil && !hasSimulcastExtensions(p.Sender) {
			err = ErrSimulcastExtensions
		}
		s.startRTCP(p)
	}
	return added, err
}

// Unpublish removes a published track and renegotiates; the server ends
// the track for every subscriber.
func (s *Session) Unpublish(ctx context.Context, p *Publication) error {
	ctx, stop := s.bind(ctx)
	defer stop()
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.isClosed() {
		return ErrMediaClosed
	}
	s.mu.Lock()
	was := p.removed
	p.removed = true
	s.mu.Unlock()
	if was {
		return nil
	}
	if err := s.cur().pub.RemoveTrack(p.Sender); err != nil {
		return fmt.Errorf("client: remove track: %w", err)
	}
	return s.negotiatePublisher(ctx, nil)
}

// RestartPublisherICE renegotiates the publisher PeerConnection with new
// ICE credentials (an ICE restart, PROTOCOL.md §9.1); the server accepts
// it on its existing PeerConnection, and the media keeps its tracks.
func (s *Session) RestartPublisherICE(ctx context.Context) error {
	ctx, stop := s.bind(ctx)
	defer stop()
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.isClosed() {
		return ErrMediaClosed
	}
	return s.negotiatePublisher(ctx, &webrtc.OfferOptions{ICERestart: true})
}

// addTrack adds one LocalTrack as a send-only transceiver.
func (s *Session) addTrack(lt LocalTrack) (*Publication, error) {
	if lt.Track == nil {
		return nil, errors.New("client: Publish: nil track")
	}
	p := &Publication{Source: lt.Source, onKey: lt.OnKeyframeRequest, onLayers: lt.OnLayers, local: lt}
	if p.Source == "" {
		p.Source = SourceCamera
		if lt.Track.Kind() == webrtc.RTPCodecTypeAudio {
			p.Source = SourceMicrophone
		}
	}
	first := lt.Track
	if lt.Track.RID() != "" || len(lt.Layers) > 0 {
		for _, l := range append([]webrtc.TrackLocal{lt.Track}, lt.Layers...) {
			if l == nil || l.RID() == "" {
				return nil, errors.New("client: Publish: every simulcast layer needs a rid")
			}
			w := &ridTrack{TrackLocal: l}
			p.layers = append(p.layers, w)
			p.RIDs = append(p.RIDs, l.RID())
		}
		first = p.layers[0]
	}
	if err := s.attachTrack(p, first); err != nil {
		return nil, err
	}
	return p, nil
}

// attachTrack adds p's track (first, then its other layers) to the
// current publisher PC as a send-only transceiver; a media reset calls it
// again for the new PC.
func (s *Session) attachTrack(p *Publication, first webrtc.TrackLocal) error {
	pc := s.cur().pub
	tr, err := pc.AddTransceiverFromTrack(first, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionSendonly,
	})
	if err != nil {
		return fmt.Errorf("client: add track: %w", err)
	}
	p.Transceiver, p.Sender = tr, tr.Sender()
	for _, l := range p.layers[min(1, len(p.layers)):] {
		if err := p.Sender.AddEncoding(l); err != nil {
			_ = pc.RemoveTrack(p.Sender)
			return fmt.Errorf("client: add simulcast layer %q: %w", l.RID(), err)
		}
	}
	return nil
}

// negotiatePublisher runs one offer/answer on the publisher PC; the caller
// holds pubMu. A refused offer is rolled back.
func (s *Session) negotiatePublisher(ctx context.Context, opts *webrtc.OfferOptions) error {
	return s.negotiatePublisherWith(ctx, opts, nil)
}

// negotiatePublisherWith is negotiatePublisher; onReply, if set, runs when
// the offer's reply arrives, in order with the server's events.
func (s *Session) negotiatePublisherWith(ctx context.Context, opts *webrtc.OfferOptions, onReply func()) error {
	pcs := s.cur()
	offer, err := pcs.pub.CreateOffer(opts)
	if err != nil {
		return fmt.Errorf("client: create publisher offer: %w", err)
	}
	sdp, err := s.localDescription(pcs.pub, offer)
	if err != nil {
		return fmt.Errorf("client: set publisher offer: %w", err)
	}
	req := signaling.OfferRequest{CallID: s.callID, Target: TargetPublisher, SDP: sdp}
	s.mu.Lock()
	for _, p := range s.pubs {
		if p.removed {
			continue
		}
		mid := p.Mid()
		for _, l := range p.layers {
			l.setMid(mid)
		}
		req.Tracks = append(req.Tracks, signaling.TrackSource{Mid: mid, Source: p.Source})
	}
	s.mu.Unlock()
	var res signaling.SDPResult
	if err := s.cl.Load().request(ctx, signaling.TypeOffer, req, &res, onReply); err != nil {
		if rbErr := pcs.pub.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); rbErr != nil {
			s.log.Debug().Err(rbErr).Msg("publisher rollback")
		}
		return err
	}
	answer := webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: res.SDP}
	if err := pcs.pub.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("client: publisher answer: %w", err)
	}
	s.remoteApplied(pcs, TargetPublisher)
	s.markTrickleReady(pcs, TargetPublisher)
	return nil
}

// startRTCP starts the RTCP readers of a publication, one per layer.
func (s *Session) startRTCP(p *Publication) {
	if p.started {
		return
	}
	p.started = true
	// The sender of this PeerConnection generation: a media reset gives p
	// a new one, and this generation's readers end with the old PC.
	sender := p.Sender
	if p.RIDs == nil {
		s.goRun(func() {
			s.readSenderRTCP(p, "", func() ([]rtcp.Packet, error) {
				pkts, _, err := sender.ReadRTCP()
				return pkts, err
			})
		})
		return
	}
	for _, rid := range p.RIDs {
		s.goRun(func() {
			s.readSenderRTCP(p, rid, func() ([]rtcp.Packet, error) {
				pkts, _, err := sender.ReadSimulcastRTCP(rid)
				return pkts, err
			})
		})
	}
}

// readSenderRTCP reads a layer's RTCP until the sender stops, reporting
// keyframe requests.
func (s *Session) readSenderRTCP(p *Publication, rid string, next func() ([]rtcp.Packet, error)) {
	for {
		pkts, err := next()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if p.onKey != nil {
					p.onKey(rid)
				}
			}
		}
	}
}

// hasSimulcastExtensions reports whether the sender negotiated mid and rid.
func hasSimulcastExtensions(sender *webrtc.RTPSender) bool {
	var mid, rid bool
	for _, e := range sender.GetParameters().HeaderExtensions {
		mid = mid || e.URI == media.ExtMid
		rid = rid || e.URI == media.ExtRID
	}
	return mid && rid
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
