package room

import "time"

// Requests of the operator's backend (the server API): they act on a call
// without being one of its members, so they carry no Caller. Events they
// cause name ServerActor as the user who acted.

// ServerActor is the user named in events caused by the server API (the
// `by` of removed and deviceControlled): an empty id and name.
var ServerActor = User{}

// EndedByServer is the callEnded reason of a call ended through the API.
const EndedByServer = "endedByServer"

// inRoomAsServer runs f on call id's loop; a missing call is not_found.
func (m *Manager) inRoomAsServer(id CallID, reply Reply, f func(r *Room) (any, error)) {
	m.retry(reply, func() error {
		r := m.room(id)
		if r == nil {
			return notFound("no call %s", id)
		}
		return r.run(nil, reply, func() (any, error) { return f(r) })
	})
}

// ListCalls returns the ids of the calls this Manager runs.
func (m *Manager) ListCalls() []CallID {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]CallID, 0, len(m.rooms))
	for id := range m.rooms {
		out = append(out, id)
	}
	return out
}

// CallSnapshot replies with call id's CallState.
func (m *Manager) CallSnapshot(id CallID, reply Reply) {
	m.inRoomAsServer(id, reply, func(r *Room) (any, error) { return r.snapshot(), nil })
}

// ServerEnd ends call id for everyone: members get callEnded with reason
// EndedByServer, waiting invitees incomingCallCanceled (callEnded).
func (m *Manager) ServerEnd(id CallID, reply Reply) {
	m.inRoomAsServer(id, reply, func(r *Room) (any, error) {
		r.log.Info().Msg("call ended by the server API")
		r.broadcast(CallEnded{CallID: r.id, Reason: EndedByServer}, "")
		r.cancelAllWaiting("callEnded")
		r.end(EndedByServer)
		return struct{}{}, nil
	})
}

// ServerRemove kicks members out of call id, as the initiator's remove
// does, with ServerActor as who removed them. It is all or nothing.
func (m *Manager) ServerRemove(id CallID, ids []UserID, reply Reply) {
	m.inRoomAsServer(id, reply, func(r *Room) (any, error) {
		targets := make([]*member, 0, len(ids))
		for _, u := range ids {
			mem := r.memberOf(u)
			if mem == nil {
				return nil, notFound("%s is not a member of call %s", u, r.id)
			}
			targets = append(targets, mem)
		}
		r.kickOut(targets, ServerActor)
		if len(r.members) == 0 { // nobody left: the call ends as when the last one leaves
			r.cancelAllWaiting("callEnded")
			r.end("empty")
		}
		return struct{}{}, nil
	})
}

// ServerSetDevice turns a member's camera or microphone off (enforced) or
// asks it to turn them on, as the initiator's setRemoteDevice does, with
// ServerActor as who acted.
func (m *Manager) ServerSetDevice(id CallID, target UserID, camera, mic *bool, reply Reply) {
	m.inRoomAsServer(id, reply, func(r *Room) (any, error) {
		mem := r.memberOf(target)
		if mem == nil {
			return nil, notFound("%s is not a member of call %s", target, r.id)
		}
		r.controlDevice(mem, ServerActor, camera, mic)
		return struct{}{}, nil
	})
}

// ServerDevice is the placeholder device of an inviter on whose behalf the
// server API started a call: the inviter is a member from it until one of
// its real devices joins (join takes the membership over).
const ServerDevice DeviceID = "api"

// StartOnBehalf starts a call as inviter (PROTOCOL.md §9.4): the call is
// created with inviter as initiator and member on ServerDevice and
// req.Invitees ring as if inviter had sent the invite. The inviter's own
// devices join it with join {callID}, which moves the membership to them.
// It fails with ErrBusy when inviter is a member of another call.
func (m *Manager) StartOnBehalf(inviter User, req InviteRequest, reply Reply) {
	m.suggestName(inviter.ID, inviter.Name)
	m.Invite(Caller{User: inviter.ID, Device: ServerDevice}, req, reply)
}

// takeOverFromServer moves m's membership from ServerDevice to c's device
// (a real device of the inviter joins a call the API started).
func (r *Room) takeOverFromServer(m *member, c Caller) (any, error) {
	r.releaseLater(c.User)
	r.flushReleases() // now: the claim below takes the slot anew
	if _, err := r.mgr.claimMember(c.User, r.id, c.Device); err != nil {
		_, _ = r.mgr.claimMember(c.User, r.id, ServerDevice)
		return nil, err
	}
	m.device = c.Device
	r.log.Info().Str("user_id", string(c.User)).Str("device", string(c.Device)).Msg("inviter's device took over the API's membership")
	now := r.mgr.cfg.Clock.Now()
	r.mgr.cfg.History.MemberLeft(r.id, r.mgr.user(c.User), "handedOver", now)
	r.mgr.cfg.History.MemberJoined(r.id, r.mgr.user(c.User), c.Device, now.Add(time.Millisecond))
	if r.mgr.cfg.MediaAPI != nil {
		r.post(func() { r.startReceiving(m) })
	}
	return r.snapshot(), nil
}

// UserSlot reports the call u is in or ringing for (cluster-wide when the
// index is shared); ok is false when u is free.
func (m *Manager) UserSlot(u UserID) (Slot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.index.Slot(u)
}
