package room

// Busy-slot releases are batched per command. A room frees a user's slot
// at several points of one command (a member leaving is released as a
// member and again as an invitee that quit; the last one leaving ends the
// call, which frees everyone), and in a cluster each release is a Redis
// round trip on the room's loop. So a release is queued on the loop and
// sent once, deduplicated, at the first point where it could be observed:
// before the command emits an event, before it reserves or claims a slot
// in this call (so that a queued release never deletes a slot taken after
// it), and at the end of the command before its snapshot and reply. The
// call's end frees everyone else's slots and gives the call up in one
// step (CallEnder).

// releaseLater queues u's slot in this call to be freed. It runs on the
// loop.
func (r *Room) releaseLater(u UserID) {
	for _, q := range r.toRelease {
		if q == u {
			return
		}
	}
	r.toRelease = append(r.toRelease, u)
}

// flushReleases frees the queued slots now, in one request to the index.
// A call that moved to another node (abandoned) drops them: its new owner
// holds the slots. An ending call frees them here too, not with the rest
// in unregister: that runs after the reply, and whoever left must be free
// by the time it hears so. It runs on the loop.
func (r *Room) flushReleases() {
	if r.abandoned {
		r.toRelease = nil
	}
	if len(r.toRelease) == 0 {
		return
	}
	users := r.toRelease
	r.toRelease = nil
	r.mgr.index.Release(r.id, users...)
}

// endingUsers returns the users whose slots an ending call frees: its
// members and invitees and the releases still queued. It runs on the loop.
func (r *Room) endingUsers() []UserID {
	out := r.knownUsers()
	for _, u := range r.toRelease {
		known := false
		for _, k := range out {
			if k == u {
				known = true
				break
			}
		}
		if !known {
			out = append(out, u)
		}
	}
	r.toRelease = nil
	return out
}

// CallEnder is implemented by a cluster's shared state that is both the
// UserIndex and the Ownership of a Manager: EndCall frees the slots of
// users that belong to call and gives the call's ownership up in one step
// (one Redis round trip instead of a Release and a Disown).
type CallEnder interface {
	EndCall(call CallID, users []UserID)
}

// endShared frees the slots of an ending call's users and then gives its
// ownership up (last: the slots are released under the call's ownership),
// in one step when the index and the ownership are one CallEnder.
func (m *Manager) endShared(call CallID, users []UserID) {
	if e, ok := m.index.(CallEnder); ok && any(m.cfg.Ownership) == any(m.index) {
		e.EndCall(call, users)
		return
	}
	m.index.Release(call, users...)
	m.cfg.Ownership.Disown(call)
}

// CommandFlusher is implemented by a cluster's Deadlines that queue the
// writes a room command makes (ring timers scheduled or stopped) to send
// them with the command's snapshot: FlushCall sends what is still queued
// for call. The room calls it on its loop after each command's persist.
type CommandFlusher interface {
	FlushCall(call CallID)
}

// flushShared sends the shared-state writes this command queued that its
// snapshot did not carry. It runs on the loop.
func (r *Room) flushShared() {
	if f, ok := r.mgr.cfg.Deadlines.(CommandFlusher); ok {
		f.FlushCall(r.id)
	}
}

// OwnClaimer is implemented by a cluster's shared state that is both the
// UserIndex and the Ownership of a Manager: OwnAndClaim is Own and then
// ClaimMember for a new call's creator in one step (one Redis round trip),
// writing nothing when either fails.
type OwnClaimer interface {
	OwnAndClaim(call CallID, u UserID, dev DeviceID) (displaced CallID, err error)
}

// ownAndClaim takes a new call's ownership and makes its creator c a
// member; nothing is held when it fails. It runs under m.mu.
func (m *Manager) ownAndClaim(id CallID, c Caller) (CallID, error) {
	if oc, ok := m.index.(OwnClaimer); ok && any(m.cfg.Ownership) == any(m.index) {
		return oc.OwnAndClaim(id, c.User, c.Device)
	}
	if err := m.cfg.Ownership.Own(id); err != nil {
		return "", err
	}
	displaced, err := m.index.ClaimMember(c.User, id, c.Device)
	if err != nil {
		m.cfg.Ownership.Disown(id)
		return "", err
	}
	return displaced, nil
}
