package sfu

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
)

// Subscribe sends up to this Peer's client: it adds a DownTrack to the
// subscriber PC with msid "<streamID> <up.ID()>" and schedules a
// renegotiation (coalesced with other changes). The app passes the
// publisher's user id as streamID. The stream starts at high quality, at the
// first keyframe, which is requested as soon as the subscriber's answer is
// applied. It does not wait for the network.
func (p *Peer) Subscribe(up *UpTrack, streamID string) (*DownTrack, error) {
	if up == nil {
		return nil, fmt.Errorf("%w: nil track", ErrTrackEnded)
	}
	if up.publisher == p {
		return nil, ErrOwnTrack
	}
	d := newDownTrack(up, p, streamID, p.log.With().Str("pc", string(TargetSubscriber)).Logger())
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return nil, ErrClosed
	case p.downs[up.id] != nil:
		p.mu.Unlock()
		return nil, ErrAlreadySubscribed
	}
	p.downs[up.id] = d // reserve the id while Pion is called without p.mu
	p.mu.Unlock()

	tr, err := p.sub.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionSendonly,
	})
	if err != nil {
		p.forgetDownTrack(d)
		return nil, fmt.Errorf("sfu: add transceiver: %w", err)
	}
	if prefs := codecPreferences(up.codec); len(prefs) > 0 {
		if err := tr.SetCodecPreferences(prefs); err != nil {
			d.log.Debug().Err(err).Msg("codec preferences not applied")
		}
	}
	d.sender = tr.Sender()
	if err := up.addDownTrack(d); err != nil {
		_ = p.sub.RemoveTrack(d.sender)
		p.forgetDownTrack(d)
		return nil, err
	}
	if up.isVideo() {
		p.videoDowns.Add(1)
	}
	d.retarget()
	sender := d.sender
	p.startReports()
	if !p.spawn(func() { d.rtcpLoop(sender) }) {
		p.detach(d)
		return nil, ErrClosed
	}
	p.kickNegotiation()
	d.log.Debug().Str("stream_id", streamID).Msg("subscribed")
	return d, nil
}

// Unsubscribe stops sending a track to this Peer's client and schedules a
// renegotiation. Unknown ids are ignored.
func (p *Peer) Unsubscribe(trackID string) {
	p.mu.Lock()
	d := p.downs[trackID]
	delete(p.downs, trackID)
	closed := p.closed
	p.mu.Unlock()
	if d == nil || closed {
		return
	}
	p.detach(d)
	d.log.Debug().Msg("unsubscribed")
}

// SetQuality selects what this Peer's client receives of a track: "high",
// "medium" or "low" pick the simulcast layer f, h or q (the only layer of a
// track without simulcast), "off" pauses it. A layer change takes effect at
// the next keyframe of that layer, which is requested.
func (p *Peer) SetQuality(trackID string, q Quality) error {
	if _, err := q.rank(); err != nil {
		return err
	}
	d, ok := p.DownTrack(trackID)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotSubscribed, trackID)
	}
	return d.setQuality(q)
}

// dropDownTrack removes d after its UpTrack ended.
func (p *Peer) dropDownTrack(d *DownTrack) {
	p.mu.Lock()
	mine := p.downs[d.up.id] == d
	if mine {
		delete(p.downs, d.up.id)
	}
	closed := p.closed
	p.mu.Unlock()
	if mine && !closed {
		p.detach(d)
	}
}

// forgetDownTrack releases an id reserved by Subscribe.
func (p *Peer) forgetDownTrack(d *DownTrack) {
	p.mu.Lock()
	if p.downs[d.up.id] == d {
		delete(p.downs, d.up.id)
	}
	p.mu.Unlock()
}

// detach disconnects d from its UpTrack and the subscriber PC (stopping its
// RTCP goroutine) and schedules a renegotiation.
func (p *Peer) detach(d *DownTrack) {
	d.up.removeDownTrack(d)
	if d.up.isVideo() {
		p.videoDowns.Add(-1)
	}
	if err := p.sub.RemoveTrack(d.sender); err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
		d.log.Debug().Err(err).Msg("remove track")
	}
	p.kickNegotiation()
}

// videoShare splits a subscriber's bandwidth estimate evenly between its
// video tracks.
func (p *Peer) videoShare(bitrate uint64) uint64 {
	return bitrate / uint64(max(1, p.videoDowns.Load()))
}

// codecPreferences returns the subscriber m-line's codec list for a
// publisher codec: the matching entry of package media's tables, followed
// by its RTX companion, so that the offer carries exactly what will be
// forwarded. Unknown codecs get no preferences.
func codecPreferences(c webrtc.RTPCodecParameters) []webrtc.RTPCodecParameters {
	table := media.VideoCodecs()
	if strings.HasPrefix(strings.ToLower(c.MimeType), "audio/") {
		table = media.AudioCodecs()
	}
	for i, t := range table {
		if !strings.EqualFold(t.MimeType, c.MimeType) || !fmtpCompatible(c.MimeType, c.SDPFmtpLine, t.SDPFmtpLine) {
			continue
		}
		prefs := []webrtc.RTPCodecParameters{t}
		if i+1 < len(table) && table[i+1].MimeType == webrtc.MimeTypeRTX &&
			table[i+1].SDPFmtpLine == fmt.Sprintf("apt=%d", t.PayloadType) {
			prefs = append(prefs, table[i+1])
		}
		return prefs
	}
	return nil
}
