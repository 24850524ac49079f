package sfu

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
)

// Publish applies a publisher offer and returns the server's answer, which
// carries all server candidates (ICE gathering is complete). tracks maps
// the offer's mids to sources; a mid without a spec defaults to "camera" for
// video and "microphone" for audio. It may be called again to renegotiate.
// It blocks while the answer is built (bounded by GatherTimeout), never on
// the network otherwise; calls are serialized.
func (p *Peer) Publish(offerSDP string, tracks []TrackSpec) (string, error) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	if p.isClosed() {
		return "", ErrClosed
	}
	info, err := parseOffer(offerSDP)
	if err != nil {
		return "", err
	}
	if err := checkTrackSpecs(tracks, info); err != nil {
		return "", err
	}
	p.mu.Lock()
	for _, s := range tracks {
		p.sources[s.Mid] = s.Source
	}
	for mid, rids := range info.layers {
		p.simulcast[mid] = rids
	}
	p.mu.Unlock()

	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	if err := p.pub.SetRemoteDescription(offer); err != nil {
		return "", fmt.Errorf("%w: publisher offer: %w", ErrInvalidSDP, err)
	}
	p.remoteApplied(TargetPublisher)
	answer, err := p.pub.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("sfu: create publisher answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pub)
	if err := p.pub.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("sfu: set publisher answer: %w", err)
	}
	if err := p.waitGathering(gathered, TargetPublisher); err != nil {
		return "", err
	}
	sdp := withGoogleBitrates(p.pub.LocalDescription().SDP, p.cfg.PublisherStartBitrate, p.cfg.PublisherMinBitrate)
	p.log.Debug().Str("pc", string(TargetPublisher)).Str("sdp", sdp).Msg("publisher answer")
	return sdp, nil
}

// checkTrackSpecs validates the specs against the offer: known sources,
// existing mids, and a source that fits the m-line's kind.
func checkTrackSpecs(tracks []TrackSpec, info offerInfo) error {
	for _, s := range tracks {
		kind, ok := info.mids[s.Mid]
		switch {
		case !validSource(s.Source):
			return fmt.Errorf("%w: unknown source %q", ErrInvalidTrackSpec, s.Source)
		case !ok:
			return fmt.Errorf("%w: mid %q not in offer", ErrInvalidTrackSpec, s.Mid)
		case (s.Source == SourceMicrophone) != (kind == "audio"):
			return fmt.Errorf("%w: source %q on a %s m-line", ErrInvalidTrackSpec, s.Source, kind)
		}
	}
	return nil
}

// onTrack runs in the goroutine Pion starts for each remote track, i.e. each
// simulcast layer, and becomes that layer's reader.
func (p *Peer) onTrack(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
	if !p.enter() {
		return
	}
	defer p.leave()
	mid := ""
	if t := rcv.RTPTransceiver(); t != nil {
		mid = t.Mid()
	}
	log := p.log.With().Str("pc", string(TargetPublisher)).Str("mid", mid).Str("rid", tr.RID()).Logger()

	buf := p.pool.Get()
	defer p.pool.Put(buf)
	n, err := readUntilCodecVerified(tr, *buf)
	if err != nil {
		log.Debug().Err(err).Msg("track ended before its codec was verified")
		return
	}
	u, slot := p.upTrackFor(mid, tr)
	if slot < 0 {
		log.Warn().Msg("ignoring a stream with an unannounced rid")
		return
	}
	first, err := u.startLayer(slot, tr, audioLevelID(rcv, tr.Kind()))
	if err != nil {
		log.Warn().Err(err).Msg("ignoring layer")
		return
	}
	rid := tr.RID()
	p.spawn(func() { drainRTCP(rcv, rid) })
	if first {
		p.spawn(func() { u.controlLoop(p.done) })
		log.Info().Str("track_id", u.id).Str("kind", u.Kind()).Str("source", u.source).
			Str("codec", u.codec.MimeType).Strs("layers", u.rids).Msg("track published")
		p.cfg.OnUpTrack(u)
	}
	u.readLoop(slot, tr, *buf, (*buf)[:n])
	if u.layerEnded(slot) {
		p.upTrackEnded(u)
	}
}

// readUntilCodecVerified reads packets until the track reports a codec of
// its own kind for the payload type just read, and returns the size of that
// packet in buf. Pion v4.2.20 may report a wrong codec (even audio/PCMU on
// a video track) when the first packet is RTX (README.md § Testing, pitfall 2).
func readUntilCodecVerified(tr remoteTrack, buf []byte) (int, error) {
	prefix := tr.Kind().String() + "/"
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if n == 0 || errors.Is(err, io.EOF) {
				return 0, err
			}
			continue
		}
		c := tr.Codec()
		mime := strings.ToLower(c.MimeType)
		if n >= 2 && strings.HasPrefix(mime, prefix) && !isAuxiliaryCodec(mime) &&
			webrtc.PayloadType(buf[1]&0x7F) == c.PayloadType {
			return n, nil
		}
	}
}

// remoteTrack is the part of *webrtc.TrackRemote that codec verification
// uses.
type remoteTrack interface {
	Read(b []byte) (int, interceptor.Attributes, error)
	Codec() webrtc.RTPCodecParameters
	Kind() webrtc.RTPCodecType
}

// isAuxiliaryCodec reports codecs that carry no media of their own.
func isAuxiliaryCodec(mime string) bool {
	switch {
	case strings.EqualFold(mime, webrtc.MimeTypeRTX),
		strings.EqualFold(mime, "video/red"), strings.EqualFold(mime, "audio/red"),
		strings.EqualFold(mime, "video/ulpfec"), strings.EqualFold(mime, webrtc.MimeTypeFlexFEC03):
		return true
	default:
		return false
	}
}

// audioLevelID returns the publisher session's id of the audio level
// extension, or 0.
func audioLevelID(rcv *webrtc.RTPReceiver, kind webrtc.RTPCodecType) uint8 {
	if kind != webrtc.RTPCodecTypeAudio {
		return 0
	}
	for _, e := range rcv.GetParameters().HeaderExtensions {
		if e.URI == media.ExtAudioLevel {
			return uint8(e.ID)
		}
	}
	return 0
}

// upTrackFor returns the UpTrack of a mid, creating it on its first layer,
// and the layer slot of the track's rid (-1 if the rid was not announced).
func (p *Peer) upTrackFor(mid string, tr *webrtc.TrackRemote) (*UpTrack, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.ups[mid]
	if !ok {
		source, ok := p.sources[mid]
		if !ok {
			source = SourceCamera
			if tr.Kind() == webrtc.RTPCodecTypeAudio {
				source = SourceMicrophone
			}
		}
		var rids []string
		if tr.RID() != "" {
			rids = p.simulcast[mid]
		}
		u = newUpTrack(upTrackParams{
			id:        newTrackID(),
			kind:      tr.Kind(),
			source:    source,
			mid:       mid,
			rids:      rids,
			log:       p.log,
			publisher: p,
			sendPLI:   p.sendPLI,
			stats:     p.cfg.Stats,
			fanOutMin: p.cfg.ParallelFanOutMin,
			onLayers:  p.cfg.OnPublisherLayers,
		})
		p.ups[mid] = u
	}
	return u, u.slotForRID(tr.RID())
}

// sendPLI sends a Picture Loss Indication (RFC 4585 §6.3.1) to the
// publisher for one SSRC.
func (p *Peer) sendPLI(ssrc uint32) {
	p.cfg.Stats.PLIsOut.Add(1)
	if err := p.pub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		p.log.Debug().Err(err).Uint32("ssrc", ssrc).Msg("pli not sent")
	}
}

// upTrackEnded forgets an ended track and reports it.
func (p *Peer) upTrackEnded(u *UpTrack) {
	p.mu.Lock()
	if p.ups[u.mid] == u {
		delete(p.ups, u.mid)
	}
	p.mu.Unlock()
	p.log.Info().Str("track_id", u.id).Msg("track ended")
	p.cfg.OnUpTrackEnded(u)
}
