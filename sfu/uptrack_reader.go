package sfu

import (
	"errors"
	"io"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"

	"github.com/ringsfu/ringsfu/media"
)

// forwardPacket is one received packet as handed to every DownTrack. It
// lives in the layer's fanOut and is valid until the fan-out of the packet
// returns; DownTracks must not keep it.
type forwardPacket struct {
	header     *rtp.Header
	payload    []byte
	audioLevel []byte // the RFC 6464 extension payload, if any
	slot       int    // layer slot the packet arrived on
	keyframe   bool   // a decoder can start here (always true for audio)
	arrival    int64  // track clock, ns
	absSend    uint32 // abs-send-time of the forwarding instant
}

// packetReader is what a layer reader reads from: *webrtc.TrackRemote.
type packetReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
}

// readLoop is the body of a layer's reader goroutine. first holds an
// already-read packet (from codec verification) to forward before reading
// on; it may be empty. The loop ends when the track is closed.
func (u *UpTrack) readLoop(slot int, r packetReader, buf, first []byte) {
	var pkt rtp.Packet
	defer u.layers[slot].fan.stop()
	if len(first) > 0 {
		u.handlePacket(slot, &pkt, first)
	}
	for {
		n, _, err := r.Read(buf)
		if err != nil {
			// Pion reports per-packet problems (an unknown payload type, a
			// runt) with n > 0; a closed track reads io.EOF with nothing.
			if n == 0 || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return
			}
			continue
		}
		u.handlePacket(slot, &pkt, buf[:n])
	}
}

// handlePacket parses one packet into pkt (reused, so parsing does not
// allocate) and fans it out. This is the forwarding hot path: no lock, no
// allocation, no goroutine.
func (u *UpTrack) handlePacket(slot int, pkt *rtp.Packet, b []byte) {
	if err := pkt.Unmarshal(b); err != nil {
		return
	}
	// Only the verified media payload type is forwarded; padding-only
	// packets (bandwidth probes) carry nothing for subscribers.
	if pkt.PayloadType != uint8(u.codec.PayloadType) || len(pkt.Payload) == 0 {
		return
	}
	l := &u.layers[slot]
	wall := time.Now()
	now := int64(wall.Sub(u.epoch))
	if prev := l.lastPacket.Swap(now); now-prev >= int64(activeWindow) {
		u.wake() // the layer resumed: subscribers waiting for it retarget now
	}
	l.latest.Store(packTSArrival(pkt.Timestamp, now))
	l.bytes.Add(uint64(len(b)))
	u.stats.PacketsIn.Add(1)
	u.stats.BytesIn.Add(uint64(len(b)))

	keyframe := true
	if u.keyframe != nil {
		if keyframe = u.keyframe(pkt.Payload); keyframe {
			l.lastKeyframe.Store(now)
		}
	}
	if u.muted.Load() {
		return
	}
	f := &l.fan.f
	*f = forwardPacket{
		header:   &pkt.Header,
		payload:  pkt.Payload,
		slot:     slot,
		keyframe: keyframe,
		arrival:  now,
		absSend:  media.AbsSendTime(wall.UnixNano()),
	}
	if u.audioLevelID != 0 {
		f.audioLevel = pkt.Header.GetExtension(u.audioLevelID)
	}
	l.fan.run(*u.downs.Load())
	// Kept for NACKs only if some subscriber got it: a layer nobody
	// receives costs no ring memory (retransmit.go).
	if l.fan.lastWritten > 0 {
		u.stats.PacketsOut.Add(uint64(l.fan.lastWritten))
		u.stats.BytesOut.Add(l.fan.lastBytes)
		u.stats.ObserveLatency(time.Since(wall))
		if u.isVideo() {
			l.ring.push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, now, pkt.Payload)
		}
	}
}

// rtcpReader is what a layer's RTCP reader reads from: the RTPReceiver.
type rtcpReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
	ReadSimulcast(b []byte, rid string) (int, interceptor.Attributes, error)
}

// drainRTCP reads a layer's incoming RTCP until the receiver closes. The
// packets themselves are of no interest here; reading them is what makes
// the report interceptor see the publisher's sender reports (RFC 3550
// §6.4.1), so that its receiver reports carry LSR/DLSR for the publisher's
// round-trip estimate.
func drainRTCP(r rtcpReader, rid string) {
	buf := make([]byte, media.PacketBufferSize)
	for {
		var err error
		if rid == "" {
			_, _, err = r.Read(buf)
		} else {
			_, _, err = r.ReadSimulcast(buf, rid)
		}
		if err != nil {
			return
		}
	}
}
