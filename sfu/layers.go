package sfu

// Layer selection for one DownTrack: what the subscriber asked for
// (SetQuality), capped by its bandwidth estimate (REMB), among the layers
// the publisher actually sends.

// remb thresholds: step down when the estimate is below the current layer's
// bitrate, step up only when it exceeds the next layer's by upHeadroom.
const upHeadroomPercent = 125

// setQuality records the subscriber's choice and retargets.
func (d *DownTrack) setQuality(q Quality) error {
	if _, err := q.rank(); err != nil {
		return err
	}
	d.mu.Lock()
	d.quality = q
	if q != QualityOff {
		// A new choice is uncapped unless the link was congested lately;
		// then what is above the estimate is probed (probe.go).
		d.bweSlot = d.capForChoiceLocked()
		d.probe.nextAt = 0
	}
	d.mu.Unlock()
	d.retarget()
	return nil
}

// retarget recomputes the target slot; on a change it pauses, or asks for a
// keyframe of the new layer (the switch happens at that keyframe).
func (d *DownTrack) retarget() {
	d.mu.Lock()
	slot := d.chooseSlotLocked()
	old := d.target.Swap(int32(slot))
	want := int32(d.wantSlotLocked())
	wantChanged := d.want.Swap(want) != want
	d.mu.Unlock()
	if wantChanged {
		d.up.layersChanged()
	}
	if int32(slot) == old {
		return
	}
	if slot < 0 {
		d.owner.Store(-1) // pause now; resume restarts at a keyframe
		d.log.Debug().Msg("down track paused")
		return
	}
	d.log.Debug().Int("slot", slot).Str("rid", d.up.layers[slot].rid).Msg("down track layer target")
	d.requestKeyframe()
}

// chooseSlotLocked returns the slot to forward: the highest active layer
// whose rank does not exceed the requested quality nor the bandwidth cap;
// failing that the lowest active layer; -1 when paused.
func (d *DownTrack) chooseSlotLocked() int {
	want, _ := d.quality.rank()
	if want < 0 {
		return -1
	}
	u := d.up
	if u.nSlots == 1 {
		return 0
	}
	active := u.activeSlots(u.now())
	if active == 0 {
		// Nothing flowing (yet): trust the offer's layers.
		active = 1<<u.nSlots - 1
	}
	best, lowest := -1, -1
	for i := 0; i < u.nSlots; i++ {
		if active&(1<<i) == 0 {
			continue
		}
		if lowest < 0 {
			lowest = i
		}
		if u.layers[i].rank <= want && i <= d.bweSlot {
			best = i
		}
	}
	if best < 0 {
		best = lowest
	}
	return best
}

// restart makes the stream restart at the next keyframe (after a mute).
func (d *DownTrack) restart() {
	d.owner.Store(-1)
}

// requestKeyframe asks the publisher for a keyframe of the layer the
// subscriber decodes or is about to decode, if the DownTrack is bound.
func (d *DownTrack) requestKeyframe() {
	if d.bind.Load() == nil {
		return
	}
	slot := d.owner.Load()
	if t := d.target.Load(); t >= 0 {
		slot = t
	}
	if slot >= 0 {
		d.up.requestKeyframe(int(slot))
	}
}

// relayKeyframeRequest forwards a subscriber's PLI or FIR upstream, for the
// layer it decodes (subject to the UpTrack's throttle).
func (d *DownTrack) relayKeyframeRequest() {
	slot := d.owner.Load()
	if slot < 0 {
		slot = d.target.Load()
	}
	if slot >= 0 {
		d.up.requestKeyframe(int(slot))
	}
}
