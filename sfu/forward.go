package sfu

import (
	"runtime"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
)

// Forwarding to one DownTrack from several layer readers, without a lock.
//
// A simulcast UpTrack has one reader goroutine per layer, and all of them
// offer every packet to every DownTrack. Only one layer is forwarded to a
// subscriber at a time: the one in d.owner. The Rewriter and the scratch
// header belong to whichever reader currently owns the stream, and ownership
// moves at a keyframe of the target layer.
//
// The hand-over is Dekker-style mutual exclusion on Go's sequentially
// consistent atomics. Every reader announces itself in inflight[its slot]
// before it looks at owner, and withdraws when it is done:
//
//   - The owner's fast path: inflight=1, owner is still mine, write,
//     inflight=0. Two atomic stores and one load per packet.
//   - A reader whose slot is the target and whose packet is a keyframe
//     compare-and-swaps owner to itself, then waits until no other reader is
//     inflight. A reader that announced itself before the swap is either
//     seen by that wait or sees the new owner and backs off; either way only
//     one of them touches the stream state. If the new owner is itself
//     replaced while waiting (a second switch, or a pause), it backs off
//     too, so two waiting readers cannot deadlock.
//
// The wait spins with runtime.Gosched and lasts at most one packet write of
// the previous owner; it happens only at a layer switch or a resume.
// Control-side changes (pause, mute, restart) only store owner = -1, which
// sends the next keyframe's reader through the swap path.

// forward offers one packet of layer f.slot to the subscriber and returns
// the bytes written (0: not written).
func (d *DownTrack) forward(f *forwardPacket, sb *sendBatch) int {
	b := d.bind.Load()
	if b == nil {
		return 0 // not negotiated yet, or stopped
	}
	slot := int32(f.slot)
	in := &d.inflight[f.slot]
	in.Store(1)
	if owner := d.owner.Load(); owner != slot {
		if !f.keyframe || d.target.Load() != slot || !d.owner.CompareAndSwap(owner, slot) {
			in.Store(0)
			return 0
		}
		if !d.waitExclusive(slot) {
			in.Store(0)
			return 0
		}
		d.startSource()
	}
	wrote := d.write(b, f, sb)
	in.Store(0)
	return wrote
}

// waitExclusive waits until no reader other than slot is inflight. It
// returns false if slot lost ownership meanwhile.
func (d *DownTrack) waitExclusive(slot int32) bool {
	for i := range d.inflight {
		if int32(i) == slot {
			continue
		}
		for d.inflight[i].Load() != 0 {
			if d.owner.Load() != slot {
				return false
			}
			runtime.Gosched()
		}
	}
	return true
}

// startSource is called by a reader that just took ownership: whatever it
// forwards next continues the subscriber's stream (media.Rewriter).
func (d *DownTrack) startSource() {
	if _, _, started := d.rw.Last(); started {
		d.rw.Switch()
	}
	d.markNext = d.up.kind == webrtc.RTPCodecTypeAudio
}

// write rewrites the packet for the subscriber's session and sends it. Only
// the owning reader calls it. A DownTrack with its own encryption puts
// the packet into sb (fastpath.go). Extensions received from the publisher are
// dropped (their ids belong to the publisher's session, RFC 8285 §5);
// abs-send-time and the audio level are written with the subscriber's ids.
func (d *DownTrack) write(b *binding, f *forwardPacket, sb *sendBatch) int {
	seq, ts, ok := d.rw.Rewrite(f.header.SequenceNumber, f.header.Timestamp, f.arrival)
	if !ok {
		return 0
	}
	d.publishMapping(f.slot)
	h := &d.hdr
	h.Version = 2
	h.Padding = false
	h.PaddingSize = 0
	h.Marker = f.header.Marker || d.markNext
	d.markNext = false
	h.PayloadType = b.payloadType
	h.SequenceNumber = seq
	h.Timestamp = ts
	h.SSRC = b.ssrc
	h.CSRC = nil
	h.Extension = false
	h.ExtensionProfile = 0
	h.Extensions = d.extBuf[:0]
	if b.absSendID != 0 {
		media.PutAbsSendTime(d.absBuf[:], f.absSend)
		_ = h.SetExtension(b.absSendID, d.absBuf[:])
	}
	if b.audioLevelID != 0 && len(f.audioLevel) == 1 {
		_ = h.SetExtension(b.audioLevelID, f.audioLevel)
	}
	var n int
	var err error
	if b.fast != nil {
		n, err = b.fast.send(h, f.payload, sb)
	} else {
		d.pionWrites.Add(1)
		n, err = b.writer.WriteRTP(h, f.payload)
	}
	switch {
	case err == nil && n > 0:
		d.forwarded.Add(1)
		d.octets.Add(uint64(len(f.payload)))
		if d.padRate.Load() != 0 || d.padder.credit != 0 {
			d.pad(b, f.arrival, sb)
		}
		return n
	case err == nil:
		// Pion accepted nothing (its SRTP session is not ready): the
		// subscriber did not get this packet, so restart at a keyframe.
		d.owner.Store(-1)
		d.up.requestKeyframe(f.slot)
	}
	d.up.stats.Dropped.Add(1)
	return 0
}
