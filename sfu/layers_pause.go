package sfu

// Pausing what nobody watches (issue 9 point 2). Each DownTrack records in
// want the layer slot its subscriber would take if every layer were
// flowing: the highest layer the requested quality and the bandwidth cap
// allow, -1 when the subscriber asked for "off". The UpTrack's control
// goroutine folds these into the set of layers anyone needs, always adding
// the lowest layer as the fallback a subscriber drops to while a resumed
// layer starts, and reports every change of that set through
// PeerConfig.OnPublisherLayers, so that the app tells the publisher to stop
// (or resume) encoding and sending the other layers.
//
// A layer the publisher resumes is noticed by its reader at the first
// packet after a silence of activeWindow, which wakes the control
// goroutine; it retargets every DownTrack, and those whose wanted layer is
// back ask for its keyframe and switch there (forward.go).

// wantSlotLocked returns the slot the subscriber wants regardless of which
// layers flow now: the highest slot whose rank does not exceed the requested
// quality nor the bandwidth cap, else the lowest; -1 when paused. The
// caller holds d.mu.
func (d *DownTrack) wantSlotLocked() int {
	want, _ := d.quality.rank()
	if want < 0 {
		return -1
	}
	u := d.up
	best := 0
	for i := 0; i < u.nSlots; i++ {
		if u.layers[i].rank <= want && i <= d.bweSlot {
			best = i
		}
	}
	return best
}

// layersChanged tells the control goroutine that the set of needed layers
// may have changed. Safe from any goroutine; never blocks.
func (u *UpTrack) layersChanged() {
	if u.nSlots < 2 {
		return
	}
	u.layersDirty.Store(true)
	u.wake()
}

// neededSlots returns the bit set of the layers some subscriber wants,
// always including the lowest. A wanted layer the publisher does not send
// (yet, or because its own uplink cannot carry it — a browser drops its top
// layers when its send estimate is low) also needs every layer below it:
// the subscriber is served the best of those that flows (layers.go), and
// pausing them would leave it on the lowest.
func (u *UpTrack) neededSlots() uint8 {
	set := uint8(1)
	active := u.activeSlots(u.now())
	for _, d := range *u.downs.Load() {
		w := d.want.Load()
		switch {
		case w < 0:
		case active&(1<<w) != 0:
			set |= 1 << w
		default:
			set |= 1<<(w+1) - 1
		}
	}
	return set
}

// NeededLayers returns the rids of the layers some subscriber currently
// needs, lowest first (the lowest layer is always included); nil for a
// track without simulcast.
func (u *UpTrack) NeededLayers() []string {
	if u.nSlots < 2 {
		return nil
	}
	return u.ridsOf(u.neededSlots())
}

// ridsOf returns the rids of the slots in set, lowest first.
func (u *UpTrack) ridsOf(set uint8) []string {
	out := make([]string, 0, u.nSlots)
	for i := 0; i < u.nSlots; i++ {
		if set&(1<<i) != 0 {
			out = append(out, u.layers[i].rid)
		}
	}
	return out
}

// announceLayers reports the needed layers when they differ from the last
// report. Only the control goroutine calls it; *last starts as 0, so the
// first report always goes out (the needed set is never empty).
func (u *UpTrack) announceLayers(last *uint8) {
	if u.nSlots < 2 || !u.layersDirty.Swap(false) {
		return
	}
	set := u.neededSlots()
	if set == *last {
		return
	}
	*last = set
	active := u.ridsOf(set)
	u.log.Debug().Strs("active", active).Msg("publisher layers")
	u.onLayers(u, active)
}
