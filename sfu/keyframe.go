package sfu

import "time"

const (
	// pliInterval is the least time between two keyframe requests the
	// server sends upstream for one track and layer, relayed or its own
	// (PROTOCOL.md §6 and §8 rule 12).
	pliInterval = int64(500 * time.Millisecond)
	// keyframeGiveUp is how long an unanswered keyframe request is retried.
	keyframeGiveUp = int64(5 * time.Second)
	// measureInterval is how often layer bitrates are measured.
	measureInterval = time.Second
)

// requestKeyframe asks for a keyframe on layer slot. The request is
// recorded with its time and handled by the control goroutine: a PLI (RFC
// 4585 §6.3.1) goes out at once unless one went out for that layer less than
// pliInterval ago, in which case it is deferred to the end of the interval —
// and dropped if a keyframe arrives first. An unanswered request is repeated
// every pliInterval for up to keyframeGiveUp. Audio tracks and muted tracks
// ignore requests. Safe to call from any goroutine; never blocks.
func (u *UpTrack) requestKeyframe(slot int) {
	if !u.isVideo() || slot < 0 || slot >= u.nSlots || u.muted.Load() {
		return
	}
	u.layers[slot].want.Store(max(u.now(), 1))
	u.wake()
}

// wake nudges the control goroutine.
func (u *UpTrack) wake() {
	select {
	case u.kfWake <- struct{}{}:
	default:
	}
}

// controlLoop is the UpTrack's control goroutine: throttled keyframe
// requests and, for simulcast tracks, layer bitrate and liveness. It exits
// when the track ends or stop is closed.
func (u *UpTrack) controlLoop(stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var tick <-chan time.Time
	if u.nSlots > 1 {
		t := time.NewTicker(measureInterval)
		defer t.Stop()
		tick = t.C
	}
	lastMeasure := u.now()
	var active uint8
	var announced uint8 // nothing reported yet: the first report always goes out
	for {
		select {
		case <-stop:
			return
		case <-u.done:
			return
		case <-u.kfWake:
		case <-timer.C:
		case <-tick:
			now := u.now()
			u.measure(now - lastMeasure)
			lastMeasure = now
		}
		if u.nSlots > 1 {
			// Checked on every wake too: a reader wakes the loop when its
			// layer resumes after a silence (uptrack_reader.go).
			if a := u.activeSlots(u.now()); a != active {
				active = a
				u.retargetAll()
				u.layersDirty.Store(true) // what is needed depends on what flows
			}
			u.announceLayers(&announced)
		}
		if wait := u.serviceKeyframes(u.now()); wait >= 0 {
			timer.Reset(time.Duration(wait))
		} else {
			timer.Stop()
		}
	}
}

// serviceKeyframes sends the PLIs that are due at track time now and
// returns how long until the next one may be due, or -1 if none is pending.
// Only the control goroutine calls it.
func (u *UpTrack) serviceKeyframes(now int64) int64 {
	next := int64(-1)
	for i := 0; i < u.nSlots; i++ {
		l := &u.layers[i]
		w := l.want.Load()
		if w == 0 {
			continue
		}
		if l.lastKeyframe.Load() >= w || now-w > keyframeGiveUp {
			l.want.CompareAndSwap(w, 0) // a newer request stays pending
			continue
		}
		ssrc := l.ssrc.Load()
		if ssrc == 0 {
			continue // not received yet; startLayer wakes the loop
		}
		if now-l.lastPLI >= pliInterval {
			u.sendPLI(ssrc)
			l.lastPLI = now
		}
		if due := l.lastPLI + pliInterval - now; next < 0 || due < next {
			next = due
		}
	}
	return next
}

// measure updates each layer's bitrate from the bytes received in the last
// interval of length dt (ns), smoothed over two intervals. A layer that
// received nothing keeps its last rate.
func (u *UpTrack) measure(dt int64) {
	if dt <= 0 {
		return
	}
	for i := 0; i < u.nSlots; i++ {
		l := &u.layers[i]
		b := l.bytes.Load()
		if b == l.prevBytes {
			// Paused (or not started): keep the last rate, which is what
			// stepping up to the layer will cost (layers.go).
			continue
		}
		rate := (b - l.prevBytes) * 8 * uint64(time.Second) / uint64(dt)
		l.prevBytes = b
		if old := l.bitrate.Load(); old != 0 {
			rate = (old + rate) / 2
		}
		l.bitrate.Store(rate)
	}
}
