package room

import (
	"errors"
	"fmt"
)

// maxRetries bounds how often a request is re-routed after the room it
// found ended under it.
const maxRetries = 8

// retry runs op until it does not report errClosed; op returns nil once it
// has replied (directly or through a room). Any other error is replied here.
func (m *Manager) retry(reply Reply, op func() error) {
	for i := 0; i < maxRetries; i++ {
		err := op()
		if errors.Is(err, errClosed) {
			continue
		}
		if err != nil {
			reply(nil, err)
		}
		return
	}
	reply(nil, fmt.Errorf("%w: call state changed too often, try again", ErrUnavailable))
}

// claimed checks the token's call restriction.
func claimed(c Caller, call CallID) error {
	if c.Claim != "" && c.Claim != call {
		return notPermitted("your token only allows call %s", c.Claim)
	}
	return nil
}

// Invite handles an invite (PROTOCOL.md §4): invite in calling, glare, or a
// new call. reply is called exactly once, with an InviteResult on success.
func (m *Manager) Invite(c Caller, req InviteRequest, reply Reply) {
	for _, u := range req.Invitees {
		if u.ID == c.User {
			reply(nil, badRequest("you cannot invite yourself"))
			return
		}
	}
	if req.CallID == "" {
		req.CallID = c.Claim
	}
	m.retry(reply, func() error { return m.invite(c, req, reply) })
}

func (m *Manager) invite(c Caller, req InviteRequest, reply Reply) error {
	s, r, ok := m.lookup(c.User)
	if ok && s.member {
		if s.device != c.Device {
			return conflict("you are in call %s on another device", s.call)
		}
		if req.CallID != "" && req.CallID != s.call {
			return conflict("you are in call %s; leave it first", s.call)
		}
		if err := claimed(c, s.call); err != nil {
			return err
		}
		if r == nil {
			return errClosed
		}
		return r.run(&c, reply, func() (any, error) { return r.invite(c, req, false) })
	}
	if ok && len(req.Invitees) == 1 && (req.CallID == "" || req.CallID == s.call) && r != nil {
		if err := claimed(c, s.call); err == nil {
			err := r.run(&c, reply, func() (any, error) { return r.glare(c, req.Invitees[0].ID) })
			if !errors.Is(err, errNotHandled) {
				return err
			}
		}
	}
	id := req.CallID
	if id == "" {
		id = CallID(newID("call_"))
	}
	if err := claimed(c, id); err != nil {
		return err
	}
	if err := m.checkNewCallCaps(c.User, len(req.Invitees)); err != nil {
		return err
	}
	nr, displaced, err := m.createRoom(id, c, req.Type, req.Config)
	if err != nil {
		return err
	}
	if displaced != "" {
		// The sender's own waiting invitation is rejected as busy first,
		// so that what that causes (its call may end, freeing its members)
		// is settled before the new call rings anyone.
		m.displaceNow(c.User, c.Device, displaced)
	}
	return nr.run(&c, reply, func() (any, error) { return nr.invite(c, req, true) })
}

// checkNewCallCaps refuses, before anything is created, an invite that
// would start a call larger than the size cap or pass the inviter's
// outstanding-invitation cap.
func (m *Manager) checkNewCallCaps(u UserID, invitees int) error {
	if max := m.cfg.MaxCallSize; 1+invitees > max {
		return tooLarge("a call of %d would pass the cap of %d", 1+invitees, max)
	}
	if !m.canSend(u, invitees) {
		return tooLarge("%d more waiting invitations would pass your cap of %d", invitees, m.cfg.MaxOutstandingInvites)
	}
	return nil
}

// Join handles a join (PROTOCOL.md §5). typ is required when the call does
// not exist yet. The result is a CallState.
func (m *Manager) Join(c Caller, id CallID, typ CallType, cfg *ConfigOverride, reply Reply) {
	if err := claimed(c, id); err != nil {
		reply(nil, err)
		return
	}
	m.retry(reply, func() error {
		if r := m.room(id); r != nil {
			return r.run(&c, reply, func() (any, error) { return r.join(c) })
		}
		if typ == "" {
			return badRequest("type is required to create call %s", id)
		}
		if s, _, ok := m.lookup(c.User); ok && s.member {
			return fmt.Errorf("%w: already in call %s", ErrBusy, s.call)
		}
		nr, displaced, err := m.createRoom(id, c, typ, cfg)
		if errors.Is(err, ErrElsewhere) {
			return err // created concurrently on another node: route there
		}
		if errors.Is(err, ErrConflict) {
			return errClosed // created concurrently: route to it
		}
		if err != nil {
			return err
		}
		if displaced != "" {
			m.displace(c.User, c.Device, displaced)
		}
		return nr.run(&c, reply, func() (any, error) { return nr.snapshot(), nil })
	})
}

// inRoom routes a request to an existing call; a missing call is not_found.
func (m *Manager) inRoom(c Caller, id CallID, reply Reply, f func(r *Room) (any, error)) {
	m.retry(reply, func() error {
		r := m.room(id)
		if r == nil {
			return notFound("no call %s", id)
		}
		return r.run(&c, reply, func() (any, error) { return f(r) })
	})
}

// Accept handles an accept; the result is a CallState.
func (m *Manager) Accept(c Caller, id CallID, customData string, reply Reply) {
	if err := claimed(c, id); err != nil {
		reply(nil, err)
		return
	}
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.accept(c, customData) })
}

// Reject handles a reject; busy selects reason "busy" over "declined".
func (m *Manager) Reject(c Caller, id CallID, customData string, busy bool, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.reject(c, customData, busy) })
}

// Cancel handles a cancel; ids nil means every waiting invitee the caller
// rang.
func (m *Manager) Cancel(c Caller, id CallID, ids []UserID, customData string, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.cancel(c, ids, customData) })
}

// Leave handles a leave.
func (m *Manager) Leave(c Caller, id CallID, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.leave(c) })
}

// Remove handles a remove (kick-out).
func (m *Manager) Remove(c Caller, id CallID, ids []UserID, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.remove(c, ids) })
}

// SetDevice handles a setDevice.
func (m *Manager) SetDevice(c Caller, id CallID, ch DeviceChange, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.setDevice(c, ch) })
}

// SetRemoteDevice handles a setRemoteDevice.
func (m *Manager) SetRemoteDevice(c Caller, id CallID, target UserID, camera, mic *bool, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.setRemoteDevice(c, target, camera, mic) })
}

// Attach is called when a device signs in (hello). It returns the user's
// waiting invitations, marking them received, and the call state if this
// device holds the user's membership.
func (m *Manager) Attach(c Caller) ([]IncomingCall, *CallState) {
	pending := []IncomingCall{}
	var state *CallState
	for i := 0; i < maxRetries; i++ {
		s, r, ok := m.lookup(c.User)
		if !ok || r == nil {
			return pending, nil
		}
		err := r.run(nil, nil, func() (any, error) {
			if s.member {
				state = r.stateFor(c)
			} else if ic, ok := r.pendingFor(c.User); ok {
				pending = append(pending, ic)
			}
			return nil, nil
		})
		if !errors.Is(err, errClosed) {
			break
		}
	}
	return pending, state
}

// SessionEnded is called when a device's session ends without resume: a
// membership held by that device ends as "disconnected", after the
// invitees it rang are canceled with callerGone.
func (m *Manager) SessionEnded(c Caller) {
	for i := 0; i < maxRetries; i++ {
		s, r, ok := m.lookup(c.User)
		if !ok || !s.member || s.device != c.Device || r == nil {
			return
		}
		err := r.run(nil, nil, func() (any, error) { r.dropped(c.User, c.Device); return nil, nil })
		if !errors.Is(err, errClosed) {
			return
		}
	}
}
