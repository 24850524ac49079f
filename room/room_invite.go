package room

// invite rings the requested users from member c (PROTOCOL.md §4). initial
// is true for the invite that created the call; any later one is "invite in
// calling" and subject to the call's policy.
func (r *Room) invite(c Caller, req InviteRequest, initial bool) (any, error) {
	if _, err := r.callerMember(c); err != nil {
		return nil, err
	}
	if !initial {
		if !r.cfg.CanInvitingInCalling {
			return nil, notPermitted("inviting into a running call is not allowed in this call")
		}
		if r.cfg.OnlyInitiatorCanInvite && c.User != r.initiator {
			return nil, notPermitted("only the initiator can invite")
		}
	}
	if err := r.checkInviteCaps(c.User, req.Invitees); err != nil {
		return nil, err
	}
	now := r.mgr.cfg.Clock.Now()
	inv := &invitation{
		id:         InvitationID(newID("inv_")),
		inviter:    c.User,
		customData: req.CustomData,
		expiresAt:  now.Add(req.Timeout),
	}
	res := InviteResult{CallID: r.id, InvitationID: inv.id, Invitees: make([]InviteOutcome, 0, len(req.Invitees))}
	var ringing, busy []*invitee
	for _, u := range req.Invitees {
		r.mgr.suggestName(u.ID, u.Name)
		inv.named = append(inv.named, u.ID)
		if r.memberOf(u.ID) != nil {
			res.Invitees = append(res.Invitees, InviteOutcome{User: r.mgr.user(u.ID), State: StatusAccepted, Skipped: true})
			continue
		}
		iv := r.inviteeOf(u.ID)
		if iv != nil && iv.state == StatusWaiting {
			res.Invitees = append(res.Invitees, InviteOutcome{User: r.mgr.user(u.ID), State: StatusWaiting, Skipped: true})
			continue
		}
		if iv == nil {
			iv = &invitee{user: u.ID}
			r.invitees = append(r.invitees, iv)
		}
		iv.invitation, iv.inviter, iv.received = inv.id, c.User, false
		r.flushReleases()
		if r.mgr.reserveRing(u.ID, r.id) {
			_ = r.setInvitee(iv, evRing)
			ringing = append(ringing, iv)
		} else {
			_ = r.setInvitee(iv, evRingBusy)
			busy = append(busy, iv)
		}
		res.Invitees = append(res.Invitees, InviteOutcome{User: r.mgr.user(u.ID), State: iv.state})
	}
	if len(ringing) > 0 {
		r.invitations[inv.id] = inv
		id := inv.id
		inv.timer = r.mgr.cfg.Deadlines.Schedule(r.id, string(id), req.Timeout, func() {
			r.post(func() { r.timeout(id) })
		})
		users := make([]User, len(ringing))
		for i, iv := range ringing {
			users[i] = r.mgr.user(iv.user)
		}
		r.mgr.cfg.Observer.InvitationCreated(r.id, inv.id, r.mgr.user(c.User), users, r.typ, req.CustomData, req.Notification)
	}
	named := make([]User, len(inv.named))
	for i, u := range inv.named {
		named[i] = r.mgr.user(u)
	}
	members := r.memberUsers()
	for _, iv := range ringing {
		ev := IncomingCall{CallID: r.id, InvitationID: inv.id, Caller: r.mgr.user(c.User), Type: r.typ,
			Invitees: named, Members: members, CustomData: req.CustomData, Timeout: req.Timeout, ExpiresAt: inv.expiresAt}
		if r.emit(Recipient{User: iv.user}, ev) > 0 {
			iv.received = true
		}
	}
	if len(ringing)+len(busy) > 0 {
		r.announceInvitees()
	}
	for _, iv := range busy {
		r.sendToInviter(iv, OutgoingAnswer{CallID: r.id, Callee: r.mgr.user(iv.user), Answer: "busy"})
	}
	r.checkNoAnswer()
	return res, nil
}

// checkInviteCaps refuses an invite that would ring more users than the
// call's size cap or the inviter's outstanding-invitation cap allow. Every
// requested user who is neither a member nor already waiting counts, busy
// or not, so that the check needs no look into other calls and a refused
// invite changes nothing.
func (r *Room) checkInviteCaps(from UserID, users []User) error {
	n := 0
	for _, u := range users {
		if r.memberOf(u.ID) != nil {
			continue
		}
		if iv := r.inviteeOf(u.ID); iv != nil && iv.state == StatusWaiting {
			continue
		}
		n++
	}
	if n == 0 {
		return nil
	}
	size, max := len(r.members)+r.waitingCount(), r.mgr.cfg.MaxCallSize
	if size+n > max {
		return tooLarge("call %s has %d members and waiting invitees; %d more would pass the cap of %d", r.id, size, n, max)
	}
	if !r.mgr.canSend(from, n) {
		return tooLarge("%d more waiting invitations would pass your cap of %d", n, r.mgr.cfg.MaxOutstandingInvites)
	}
	return nil
}

// glare takes an invite from c to the single user `to` as c accepting this
// call, when `to` is the member whose invitation to c is still waiting. It
// returns errNotHandled for any other shape.
func (r *Room) glare(c Caller, to UserID) (any, error) {
	iv := r.inviteeOf(c.User)
	if iv == nil || iv.state != StatusWaiting || iv.inviter != to || r.memberOf(to) == nil {
		return nil, errNotHandled
	}
	if _, err := r.accept(c, ""); err != nil {
		return nil, err
	}
	return InviteResult{CallID: r.id, InvitationID: iv.invitation, Invitees: []InviteOutcome{}, Merged: true}, nil
}

// checkNoAnswer ends a call in which nobody but the initiator was ever a
// member once no invitee is left waiting (PROTOCOL.md §4, "No answer").
func (r *Room) checkNoAnswer() {
	if r.ending != "" || r.othersEver || len(r.invitees) == 0 || r.waitingCount() > 0 {
		return
	}
	r.end("noAnswer") // first: the end is stored before anyone hears of it
	if m := r.memberOf(r.initiator); m != nil {
		r.emit(toMember(m), CallEnded{CallID: r.id, Reason: "noAnswer"})
	}
}

// cancel withdraws waiting invitations (PROTOCOL.md §4, §8 rule 9). ids nil
// means every waiting invitee the caller rang.
func (r *Room) cancel(c Caller, ids []UserID, customData string) (any, error) {
	if _, err := r.callerMember(c); err != nil {
		return nil, err
	}
	var targets []*invitee
	if ids == nil {
		for _, iv := range r.invitees {
			if iv.state == StatusWaiting && iv.inviter == c.User {
				targets = append(targets, iv)
			}
		}
		if len(targets) == 0 {
			return nil, notFound("no waiting invitee of yours in call %s", r.id)
		}
	} else {
		for _, id := range ids {
			iv := r.inviteeOf(id)
			if iv == nil || iv.state != StatusWaiting {
				return nil, notFound("%s is not waiting in call %s", id, r.id)
			}
			targets = append(targets, iv)
		}
		for _, iv := range targets {
			if iv.inviter != c.User && c.User != r.initiator {
				return nil, notPermitted("%s was invited by another member", iv.user)
			}
		}
	}
	for _, iv := range targets {
		_ = r.setInvitee(iv, evCancel)
		r.emit(Recipient{User: iv.user}, IncomingCallCanceled{CallID: r.id, Caller: r.mgr.user(iv.inviter),
			CustomData: customData, Reason: "canceled"})
	}
	r.announceInvitees()
	r.checkNoAnswer()
	return struct{}{}, nil
}

// accept makes the waiting invitee c a member (PROTOCOL.md §4 accept).
func (r *Room) accept(c Caller, customData string) (any, error) {
	if m := r.memberOf(c.User); m != nil {
		if m.device != c.Device {
			return nil, conflict("the call was accepted on another device")
		}
		return nil, notFound("you are already a member of call %s", r.id)
	}
	iv := r.inviteeOf(c.User)
	if iv == nil || iv.state != StatusWaiting {
		return nil, notFound("no waiting invitation for you in call %s", r.id)
	}
	r.flushReleases()
	if _, err := r.mgr.claimMember(c.User, r.id, c.Device); err != nil {
		return nil, err
	}
	_ = r.setInvitee(iv, evAccept)
	m := r.addMember(c)
	r.emit(Recipient{User: c.User, Except: c.Device}, AnsweredElsewhere{CallID: r.id, Answer: "accepted"})
	r.sendToInviter(iv, OutgoingAnswer{CallID: r.id, Callee: r.mgr.user(c.User), CustomData: customData, Answer: "accepted"})
	r.broadcast(UserJoined{CallID: r.id, User: r.mgr.user(c.User)}, m.user)
	r.announceInvitees()
	return r.snapshot(), nil
}

// addMember adds c as a member and records it.
func (r *Room) addMember(c Caller) *member {
	m := newMember(c.User, c.Device, r.typ)
	r.members = append(r.members, m)
	r.countMembers(1)
	if c.User != r.initiator {
		r.othersEver = true
	}
	seen := false
	for _, u := range r.everUsers {
		seen = seen || u == c.User
	}
	if !seen {
		r.everUsers = append(r.everUsers, c.User)
	}
	r.log.Info().Str("user_id", string(c.User)).Msg("member joined")
	r.mgr.cfg.Observer.MemberJoined(r.id, r.mgr.user(c.User))
	r.mgr.cfg.History.MemberJoined(r.id, r.mgr.user(c.User), c.Device, r.mgr.cfg.Clock.Now())
	if r.mgr.cfg.MediaAPI != nil {
		// If there is something to receive, the first subscriber offer goes
		// out now, after the reply that makes the device a member.
		r.post(func() { r.startReceiving(m) })
	}
	return m
}

// reject declines c's waiting invitation, as "declined" or "busy".
func (r *Room) reject(c Caller, customData string, busy bool) (any, error) {
	iv := r.inviteeOf(c.User)
	if iv == nil || iv.state != StatusWaiting || r.memberOf(c.User) != nil {
		return nil, notFound("no waiting invitation for you in call %s", r.id)
	}
	r.rejectInvitee(iv, customData, busy, c.Device)
	return struct{}{}, nil
}

// rejectInvitee records a rejection and tells the inviter, the user's other
// devices and the call.
func (r *Room) rejectInvitee(iv *invitee, customData string, busy bool, from DeviceID) {
	ev, answer := evDecline, "declined"
	if busy {
		ev, answer = evBusy, "busy"
	}
	if err := r.setInvitee(iv, ev); err != nil {
		return
	}
	r.emit(Recipient{User: iv.user, Except: from}, AnsweredElsewhere{CallID: r.id, Answer: "rejected"})
	r.sendToInviter(iv, OutgoingAnswer{CallID: r.id, Callee: r.mgr.user(iv.user), CustomData: customData, Answer: answer})
	r.announceInvitees()
	r.checkNoAnswer()
}

// displaced rejects u's waiting invitation as busy on its behalf, because u
// created or joined another call (PROTOCOL.md §8 rule 7).
func (r *Room) displaced(u UserID, from DeviceID) {
	iv := r.inviteeOf(u)
	if iv == nil || iv.state != StatusWaiting {
		return
	}
	r.rejectInvitee(iv, "", true, from)
}

// timeout ends the ringing of every invitee of one invite request that is
// still waiting.
func (r *Room) timeout(id InvitationID) {
	inv := r.invitations[id]
	if inv == nil {
		return
	}
	delete(r.invitations, id)
	var callees []User
	for _, iv := range r.invitees {
		if iv.invitation != id || iv.state != StatusWaiting {
			continue
		}
		_ = r.setInvitee(iv, evTimeout)
		callees = append(callees, r.mgr.user(iv.user))
		r.emit(Recipient{User: iv.user}, IncomingCallTimeout{CallID: r.id, Caller: r.mgr.user(inv.inviter)})
	}
	if len(callees) == 0 {
		return
	}
	if m := r.memberOf(inv.inviter); m != nil {
		r.emit(toMember(m), OutgoingTimeout{CallID: r.id, Callees: callees, Type: r.typ})
	}
	r.announceInvitees()
	r.checkNoAnswer()
}

// memberUsers lists the call's members, in joining order.
func (r *Room) memberUsers() []User {
	out := make([]User, len(r.members))
	for i, m := range r.members {
		out[i] = r.mgr.user(m.user)
	}
	return out
}

// pendingFor returns u's waiting invitation as an IncomingCall with the time
// left, marking it received. ok is false when u is not waiting here.
func (r *Room) pendingFor(u UserID) (IncomingCall, bool) {
	iv := r.inviteeOf(u)
	if iv == nil || iv.state != StatusWaiting {
		return IncomingCall{}, false
	}
	inv := r.invitations[iv.invitation]
	if inv == nil {
		return IncomingCall{}, false
	}
	named := make([]User, len(inv.named))
	for i, n := range inv.named {
		named[i] = r.mgr.user(n)
	}
	left := inv.expiresAt.Sub(r.mgr.cfg.Clock.Now())
	if left < 0 {
		left = 0
	}
	ic := IncomingCall{CallID: r.id, InvitationID: inv.id, Caller: r.mgr.user(inv.inviter), Type: r.typ,
		Invitees: named, Members: r.memberUsers(), CustomData: inv.customData, Timeout: left, ExpiresAt: inv.expiresAt}
	if !iv.received {
		iv.received = true
		r.announceInvitees()
	}
	return ic, true
}

// cancelRungBy cancels, with reason, every waiting invitee that u rang.
func (r *Room) cancelRungBy(u UserID, reason string) {
	changed := false
	for _, iv := range r.invitees {
		if iv.state == StatusWaiting && iv.inviter == u {
			_ = r.setInvitee(iv, evCancel)
			r.emit(Recipient{User: iv.user}, IncomingCallCanceled{CallID: r.id, Caller: r.mgr.user(u), Reason: reason})
			changed = true
		}
	}
	if changed && r.ending == "" {
		r.announceInvitees()
	}
}

// cancelAllWaiting cancels every waiting invitee with reason, naming each
// one's own inviter as caller.
func (r *Room) cancelAllWaiting(reason string) {
	for _, iv := range r.invitees {
		if iv.state == StatusWaiting {
			_ = r.setInvitee(iv, evCancel)
			r.emit(Recipient{User: iv.user}, IncomingCallCanceled{CallID: r.id, Caller: r.mgr.user(iv.inviter), Reason: reason})
		}
	}
}
