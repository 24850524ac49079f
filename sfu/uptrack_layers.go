package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
)

// layerSource is what startLayer needs of a received track.
type layerSource interface {
	Codec() webrtc.RTPCodecParameters
	SSRC() webrtc.SSRC
}

// startLayer registers a verified layer before its reader starts. The first
// layer fixes the track's codec; first reports whether this was it. Later
// layers must use the same codec.
func (u *UpTrack) startLayer(slot int, tr layerSource, audioLevelID uint8) (first bool, err error) {
	c := tr.Codec()
	u.mu.Lock()
	switch {
	case u.ended:
		u.mu.Unlock()
		return false, ErrTrackEnded
	case !u.started:
		u.setCodec(c, audioLevelID)
		u.started, first = true, true
	case !strings.EqualFold(u.codec.MimeType, c.MimeType) || u.codec.PayloadType != c.PayloadType:
		u.mu.Unlock()
		return false, fmt.Errorf("sfu: layer codec %s/%d differs from track codec %s/%d",
			c.MimeType, c.PayloadType, u.codec.MimeType, u.codec.PayloadType)
	}
	l := &u.layers[slot]
	if l.present.Load() {
		u.mu.Unlock()
		return false, fmt.Errorf("sfu: layer %q received twice", l.rid)
	}
	u.readers++
	l.ssrc.Store(uint32(tr.SSRC()))
	l.lastPacket.Store(u.now())
	l.present.Store(true)
	u.mu.Unlock()

	u.wake() // a keyframe request may be waiting for this layer's SSRC
	if !first {
		u.retargetAll()
	}
	return first, nil
}

// layerEnded records that a layer's reader exited. When it was the last
// one the track ends, and layerEnded returns true.
func (u *UpTrack) layerEnded(slot int) bool {
	u.mu.Lock()
	u.layers[slot].present.Store(false)
	u.readers--
	last := u.readers == 0 && !u.ended
	u.mu.Unlock()
	if last {
		u.end()
		return true
	}
	u.retargetAll()
	return false
}

// end marks the track ended and removes its DownTracks from their
// subscribers, which renegotiate.
func (u *UpTrack) end() {
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		return
	}
	u.ended = true
	downs := make([]*DownTrack, 0, len(u.downSet))
	for d := range u.downSet {
		downs = append(downs, d)
	}
	clear(u.downSet)
	u.publishDownsLocked()
	u.mu.Unlock()
	close(u.done)
	for _, d := range downs {
		if d.peer != nil {
			d.peer.dropDownTrack(d)
		}
	}
}
