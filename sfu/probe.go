package sfu

import (
	"time"

	"github.com/pion/rtp"

	"github.com/ringsfu/ringsfu/media"
)

// Probing before stepping up (issue 9 point 3). A receiver's bandwidth
// estimate (REMB) only grows with what it receives — Chrome reports at most
// about 1.5 times its incoming rate — so a subscriber held on a low layer by
// its estimate would never be allowed up if the server sent nothing more.
// When the subscriber's quality asks for a higher layer than its estimate
// carries after the estimate moved it down (congestion), the server
// therefore probes: besides the media it sends
// padding-only packets on the subscriber's RTX stream (RFC 4588; the
// receiver discards them) so that the subscriber receives about what the
// next layer would cost with headroom, in steps of at most 1.5 times its
// current estimate (probeAim). A receiver whose link carries that
// reports an estimate above it and is stepped up at once; one whose link
// does not reports a falling estimate, and the probe stops when it ends
// (probeDuration without a rise) or the estimate falls, after which the next
// probe waits probeBackoffMin, doubling up to probeBackoffMax: a link that
// cannot take the next layer is padded at most a fifth of the time, and
// capacity that returns is found within about five seconds. Nothing is
// probed while no estimate has been received nor without a negotiated RTX
// stream. A subscriber's explicit new choice is not capped (it gets what it
// asks for, and is moved down if its estimate then falls) unless its link
// was congested in the last probeMemory.
//
// The probe's padding goes out on the forwarding path itself: after each
// media packet the owning reader sends what the probe rate has earned since
// its previous packet (padder), in the same batch and through the same
// encryption, so probing adds no goroutine and no timer.

const (
	// probeDuration is how long a probe waits for its estimate to rise;
	// each rise extends it, up to probeMaxLength in all.
	probeDuration  = int64(time.Second)
	probeMaxLength = int64(20 * time.Second)
	// probeMemory is how long congestion makes a new quality choice
	// start capped by the estimate (and probe) instead of uncapped.
	probeMemory = int64(10 * time.Second)
	// probeBackoffMin and probeBackoffMax bound the wait after a failed
	// probe or a step down before the next probe.
	probeBackoffMin = int64(time.Second)
	probeBackoffMax = int64(4 * time.Second)
	// probeOvershootPercent is the rate a probe aims at, relative to the
	// estimate that allows the step up.
	probeOvershootPercent = 110
	// padPayload is the padding carried by one probe packet (RFC 3550
	// §5.1: the count is one octet).
	padPayload = 240
	// padBurstMax bounds the probe packets sent after one media packet,
	// and padCreditMax the bytes a probe may save up.
	padBurstMax  = 16
	padCreditMax = 32 * 1024
)

// nominalLayerRate is the cost assumed for a layer not measured yet, by
// rank (low, medium, high), in bits per second.
var nominalLayerRate = [maxLayers]uint64{150_000, 500_000, 1_500_000}

// probeState is a DownTrack's probe, guarded by d.mu.
type probeState struct {
	active  bool
	goal    uint64 // the estimate that lets the subscriber step up
	floor   uint64 // an estimate below this while probing: congestion, stop
	started int64  // track clock: when the probe began
	// congestedAt is when the estimate last moved the subscriber down
	// (track clock; 0: never).
	congestedAt int64
	until       int64 // track clock: the probe has failed after this
	nextAt      int64 // track clock: no new probe before this
	backoff     int64
	slot        int // the slot being probed for
	failed      int // the lowest slot a probe failed for since the last success at or above it; 0: none
}

// padder is the padding sender's state, owned by the reader that owns the
// stream (like the Rewriter).
type padder struct {
	credit int64 // bytes earned and not yet sent
	last   int64 // track clock of the previous media packet
	hdr    rtp.Header
	extBuf [1]rtp.Extension
	absBuf [3]byte
	buf    [padPayload]byte
}

// layerRate returns what forwarding layer slot costs: its measured bitrate,
// or the nominal one for its rank.
func (u *UpTrack) layerRate(slot int) uint64 {
	if r := u.layers[slot].bitrate.Load(); r > 0 {
		return r
	}
	return nominalLayerRate[u.layers[slot].rank]
}

// qualitySlotLocked returns the highest slot the requested quality allows,
// ignoring bandwidth; -1 for off. The caller holds d.mu.
func (d *DownTrack) qualitySlotLocked() int {
	want, _ := d.quality.rank()
	if want < 0 {
		return -1
	}
	best := 0
	for i := 0; i < d.up.nSlots; i++ {
		if d.up.layers[i].rank <= want {
			best = i
		}
	}
	return best
}

// estimateSlotLocked returns the highest slot the latest estimate carries
// (at least 0), or maxLayers-1 when no estimate was received. The caller
// holds d.mu.
func (d *DownTrack) estimateSlotLocked() int {
	if !d.haveEstimate {
		return maxLayers - 1
	}
	slot := 0
	for i := 1; i < d.up.nSlots; i++ {
		if d.up.layerRate(i) <= d.estimate {
			slot = i
		}
	}
	return slot
}

// onEstimate applies the subscriber's bandwidth estimate, share being this
// track's part of it (bits per second).
//
// A receiver's estimate rises slowly after the server sent more (Chrome:
// about 8 % a second, never above 1.5 times what arrives), and falls at
// once below what arrives when the link is congested. So its level alone
// does not tell congestion from a ramp after a step up; its trend does. The
// subscriber goes one layer down when the estimate does not carry the
// current layer and is not rising; one layer up when its quality asks for
// more and the estimate carries the next layer with headroom; otherwise, in
// that case, the server probes (startProbeLocked). A probe whose estimate
// keeps rising is extended (up to probeMaxLength); one whose estimate stops
// rising by its end, or falls, has failed.
func (d *DownTrack) onEstimate(share uint64) {
	u := d.up
	if u.nSlots == 1 {
		return
	}
	now := u.now()
	d.mu.Lock()
	prev, hadPrev := d.estimate, d.haveEstimate
	rising := hadPrev && share > prev
	d.estimate, d.haveEstimate = share, true
	cur := int(d.target.Load())
	changed := false
	switch {
	case cur < 0:
		d.endProbeLocked(now, false)
	case cur > 0 && u.layerRate(cur) > share && !rising:
		d.bweSlot = cur - 1
		d.probe.congestedAt = now
		d.endProbeLocked(now, false)
		changed = true
	case cur+1 < u.nSlots && cur+1 <= d.qualitySlotLocked() && cur+1 > d.bweSlot:
		next := cur + 1
		need := u.layerRate(next) * upHeadroomPercent / 100
		switch {
		case share >= need:
			d.bweSlot = next
			d.probe.slot = next
			d.endProbeLocked(now, true)
			changed = true
		case d.probe.active && share < d.probe.floor:
			d.endProbeLocked(now, false) // the estimate fell: no room
		case d.probe.active && rising && now-d.probe.started < probeMaxLength:
			d.probe.until = now + probeDuration // still climbing: go on, a step higher
			d.padUntil.Store(d.probe.until)
			d.padRate.Store(probeAim(d.probe.goal, share, u.layerRate(cur)))
		case d.probe.active && now > d.probe.until:
			d.endProbeLocked(now, false) // stopped climbing short of the goal
		case !d.probe.active && now >= d.probe.nextAt:
			d.probe.slot = next
			d.startProbeLocked(now, need, u.layerRate(cur), share)
		}
	default:
		d.probe.active = false
		d.padRate.Store(0)
	}
	d.mu.Unlock()
	if changed {
		d.retarget()
	}
}

// capForChoiceLocked returns the bandwidth cap for a new quality choice:
// none, unless the subscriber's link showed congestion in the last
// probeMemory — then what the latest estimate carries, the rest to be
// probed. The caller holds d.mu.
func (d *DownTrack) capForChoiceLocked() int {
	if d.probe.congestedAt == 0 || d.up.now()-d.probe.congestedAt > probeMemory {
		return maxLayers - 1
	}
	return d.estimateSlotLocked()
}

// startProbeLocked makes the forwarding path pad the subscriber's stream
// up to about goal bits per second, the media taking base of it.
func (d *DownTrack) startProbeLocked(now int64, goal, base, estimate uint64) {
	b := d.bind.Load()
	if b == nil || b.rtxSSRC == 0 || b.rtxPayloadType == 0 {
		return // nowhere to put padding: no probing
	}
	pad := probeAim(goal, estimate, base)
	if pad == 0 {
		return
	}
	d.probe.active, d.probe.goal, d.probe.until = true, goal, now+probeDuration
	d.probe.started, d.probe.floor = now, estimate*9/10
	d.padUntil.Store(now + probeDuration)
	d.padRate.Store(pad)
	d.probes.Add(1)
	d.log.Debug().Uint64("goal", goal).Uint64("pad_bps", pad).Msg("probing")
}

// probeAim returns the padding rate of a probe step: enough for the
// subscriber to receive goal with probeOvershootPercent, but at most 1.5
// times its current estimate (a receiver's estimate grows with what
// arrives, so a probe climbs in steps rather than flooding a link that
// turns out narrow), less the media's base rate; 0 when that leaves
// nothing.
func probeAim(goal, estimate, base uint64) uint64 {
	aim := min(goal*probeOvershootPercent/100, estimate*3/2)
	if aim <= base {
		return 0
	}
	return aim - base
}

// endProbeLocked stops padding. A probe or layer that failed delays the
// next probe (doubling); stepping up to the layer that failed last, or
// higher, resets the delay (a step up to a lower one does not: the link
// has not shown room for the layer that failed).
func (d *DownTrack) endProbeLocked(now int64, ok bool) {
	wasActive := d.probe.active
	d.probe.active = false
	d.padRate.Store(0)
	if ok {
		if d.probe.failed == 0 || d.probe.slot >= d.probe.failed {
			d.probe.backoff, d.probe.failed = 0, 0
		}
		return
	}
	if wasActive && (d.probe.failed == 0 || d.probe.slot < d.probe.failed) {
		d.probe.failed = d.probe.slot
	}
	if !wasActive && d.probe.nextAt > now {
		return // already waiting
	}
	d.probe.backoff = min(max(2*d.probe.backoff, probeBackoffMin), probeBackoffMax)
	d.probe.nextAt = now + d.probe.backoff
}

// pad sends the probe padding the current probe has earned since the
// previous media packet, after that packet, on the RTX stream. Only the
// stream's owning reader calls it.
func (d *DownTrack) pad(b *binding, now int64, sb *sendBatch) {
	p := &d.padder
	rate := d.padRate.Load()
	if rate == 0 || now > d.padUntil.Load() || b.rtxSSRC == 0 {
		p.last = now
		p.credit = 0
		return
	}
	if p.last != 0 && now > p.last {
		p.credit = min(p.credit+int64(rate/8)*(now-p.last)/int64(time.Second), padCreditMax)
	}
	p.last = now
	const size = padPayload + 12
	for i := 0; i < padBurstMax && p.credit >= size; i++ {
		h := &p.hdr
		*h = rtp.Header{Version: 2, Padding: true, PayloadType: b.rtxPayloadType, SSRC: b.rtxSSRC,
			SequenceNumber: uint16(d.rtxSeq.Add(1)), Timestamp: d.hdr.Timestamp, Extensions: p.extBuf[:0]}
		if b.absSendID != 0 {
			media.PutAbsSendTime(p.absBuf[:], media.AbsSendTime(time.Now().UnixNano()))
			_ = h.SetExtension(b.absSendID, p.absBuf[:])
		}
		p.buf[padPayload-1] = padPayload // RFC 3550 §5.1: all of it is padding
		var err error
		if b.fast != nil {
			_, err = b.fast.send(h, p.buf[:], sb)
		} else {
			d.pionWrites.Add(1)
			_, err = b.writer.WriteRTP(h, p.buf[:])
		}
		if err != nil {
			return
		}
		p.credit -= size
		d.padded.Add(size)
	}
}

// PaddingBytes returns the probe padding sent to the subscriber, in bytes
// (headers included), and the number of probes started.
func (d *DownTrack) PaddingBytes() (bytes, probes uint64) {
	return d.padded.Load(), d.probes.Load()
}
