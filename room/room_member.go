package room

// join makes c a member by call id (PROTOCOL.md §5 join). Joining a call one
// is in is idempotent; joining with a waiting invitation counts as
// accepting it.
func (r *Room) join(c Caller) (any, error) {
	if m := r.memberOf(c.User); m != nil {
		if m.device == ServerDevice && c.Device != ServerDevice {
			return r.takeOverFromServer(m, c)
		}
		if m.device != c.Device {
			return nil, conflict("the call is held by another device of this user")
		}
		return r.snapshot(), nil
	}
	if iv := r.inviteeOf(c.User); iv != nil && iv.state == StatusWaiting {
		return r.accept(c, "")
	}
	if size, max := len(r.members)+r.waitingCount(), r.mgr.cfg.MaxCallSize; size >= max {
		return nil, tooLarge("call %s is full: %d members and waiting invitees, the cap is %d", r.id, size, max)
	}
	r.flushReleases()
	displaced, err := r.mgr.claimMember(c.User, r.id, c.Device)
	if err != nil {
		return nil, err
	}
	if displaced != "" {
		r.mgr.displace(c.User, c.Device, displaced)
	}
	m := r.addMember(c)
	changed := false
	if iv := r.inviteeOf(c.User); iv != nil {
		changed = r.setInvitee(iv, evRejoin) == nil
	}
	r.broadcast(UserJoined{CallID: r.id, User: r.mgr.user(c.User)}, m.user)
	if changed {
		r.announceInvitees()
	}
	return r.snapshot(), nil
}

// leave hangs c up (PROTOCOL.md §5 leave).
func (r *Room) leave(c Caller) (any, error) {
	m, err := r.callerMember(c)
	if err != nil {
		return nil, err
	}
	r.departs(m, "left")
	return struct{}{}, nil
}

// dropped handles the end of a member's session without resume: the
// invitees it rang stop ringing with callerGone, then it leaves as
// "disconnected" (PROTOCOL.md §3, §8 rule 8).
func (r *Room) dropped(u UserID, d DeviceID) {
	m := r.memberOf(u)
	if m == nil || m.device != d {
		return
	}
	r.cancelRungBy(u, "callerGone")
	r.departs(m, "disconnected")
}

// departs removes member m for reason ("left" or "disconnected") and applies
// the endings: endCallWhenInitiatorLeave, and the empty call.
func (r *Room) departs(m *member, reason string) {
	r.closeMedia(m)
	r.removeMember(m.user)
	r.releaseLater(m.user)
	if iv := r.inviteeOf(m.user); iv != nil {
		_ = r.setInvitee(iv, evQuit)
	}
	r.log.Info().Str("user_id", string(m.user)).Str("reason", reason).Msg("member left")
	r.mgr.cfg.Observer.MemberLeft(r.id, r.mgr.user(m.user), reason)
	r.mgr.cfg.History.MemberLeft(r.id, r.mgr.user(m.user), reason, r.mgr.cfg.Clock.Now())
	if m.user == r.initiator && r.cfg.EndCallWhenInitiatorLeave {
		r.end("initiatorLeft") // first: the end is stored before anyone hears of it
		r.broadcast(CallEnded{CallID: r.id, Reason: "initiatorLeft"}, "")
		r.cancelAllWaiting("callEnded")
		return
	}
	if len(r.members) == 0 {
		r.end("empty")
		r.cancelAllWaiting("callEnded")
		return
	}
	r.broadcast(UserLeft{CallID: r.id, User: r.mgr.user(m.user), Reason: reason}, "")
	if iv := r.inviteeOf(m.user); iv != nil {
		r.announceInvitees()
	}
}

// remove kicks members out (PROTOCOL.md §5 remove, §8 rule 11). It is all or
// nothing.
func (r *Room) remove(c Caller, ids []UserID) (any, error) {
	for _, id := range ids {
		if id == c.User {
			return nil, badRequest("you cannot remove yourself")
		}
	}
	if _, err := r.callerMember(c); err != nil {
		return nil, err
	}
	if c.User != r.initiator {
		return nil, notPermitted("only the initiator can remove members")
	}
	targets := make([]*member, 0, len(ids))
	for _, id := range ids {
		m := r.memberOf(id)
		if m == nil {
			return nil, notFound("%s is not a member of call %s", id, r.id)
		}
		targets = append(targets, m)
	}
	r.kickOut(targets, r.mgr.user(c.User))
	return struct{}{}, nil
}

// kickOut removes targets, telling each who removed it (by) and the call
// that it was removed.
func (r *Room) kickOut(targets []*member, by User) {
	changed := false
	for _, m := range targets {
		if r.memberOf(m.user) == nil {
			continue // listed twice
		}
		r.closeMedia(m)
		r.removeMember(m.user)
		r.releaseLater(m.user)
		if iv := r.inviteeOf(m.user); iv != nil {
			changed = r.setInvitee(iv, evRemove) == nil || changed
		}
		r.emit(toMember(m), Removed{CallID: r.id, By: by})
		r.log.Info().Str("user_id", string(m.user)).Msg("member removed")
		r.mgr.cfg.Observer.MemberLeft(r.id, r.mgr.user(m.user), "removed")
		r.mgr.cfg.History.MemberLeft(r.id, r.mgr.user(m.user), "removed", r.mgr.cfg.Clock.Now())
		r.broadcast(UserLeft{CallID: r.id, User: r.mgr.user(m.user), Reason: "removed"}, "")
	}
	if changed {
		r.announceInvitees()
	}
}

// setDevice changes the caller's own device state and always broadcasts it
// (PROTOCOL.md §5, §8 rule 11).
func (r *Room) setDevice(c Caller, ch DeviceChange) (any, error) {
	m, err := r.callerMember(c)
	if err != nil {
		return nil, err
	}
	if ch.Camera != nil {
		m.camera = *ch.Camera
	}
	if ch.Microphone != nil {
		m.microphone = *ch.Microphone
	}
	if ch.AudioRoute != nil {
		m.audioRoute = *ch.AudioRoute
	}
	r.broadcastDevice(m)
	r.applyMute(m)
	return struct{}{}, nil
}

// broadcastDevice sends m's device state to every member.
func (r *Room) broadcastDevice(m *member) {
	r.broadcast(DeviceState{CallID: r.id, UserID: m.user, Camera: m.camera, Microphone: m.microphone,
		AudioRoute: m.audioRoute}, "")
}

// setRemoteDevice lets the initiator turn a member's camera or microphone
// off (enforced) or ask it to turn them on (PROTOCOL.md §5).
func (r *Room) setRemoteDevice(c Caller, target UserID, camera, mic *bool) (any, error) {
	if target == c.User {
		return nil, badRequest("use setDevice for your own devices")
	}
	if _, err := r.callerMember(c); err != nil {
		return nil, err
	}
	if c.User != r.initiator {
		return nil, notPermitted("only the initiator can control other members' devices")
	}
	m := r.memberOf(target)
	if m == nil {
		return nil, notFound("%s is not a member of call %s", target, r.id)
	}
	r.controlDevice(m, r.mgr.user(c.User), camera, mic)
	return struct{}{}, nil
}

// controlDevice turns m's camera or microphone off (enforced at once) or
// asks m to turn them on, on behalf of by.
func (r *Room) controlDevice(m *member, by User, camera, mic *bool) {
	off := DeviceControl{CallID: r.id, By: by}
	on := DeviceControl{CallID: r.id, By: by, Request: true}
	f := false
	t := true
	if camera != nil {
		switch {
		case !*camera && m.camera:
			m.camera = false
			off.Camera = &f
		case *camera && !m.camera:
			on.Camera = &t
		}
	}
	if mic != nil {
		switch {
		case !*mic && m.microphone:
			m.microphone = false
			off.Microphone = &f
		case *mic && !m.microphone:
			on.Microphone = &t
		}
	}
	if off.Camera != nil || off.Microphone != nil {
		r.broadcastDevice(m)
		r.applyMute(m)
		r.emit(toMember(m), off)
	}
	if on.Camera != nil || on.Microphone != nil {
		r.emit(toMember(m), on)
	}
}

// state returns the snapshot for c if c is the member device, else nil.
func (r *Room) stateFor(c Caller) *CallState {
	m := r.memberOf(c.User)
	if m == nil || m.device != c.Device {
		return nil
	}
	st := r.snapshot()
	r.resendOffer(m)
	r.tellStale(m)
	return &st
}
