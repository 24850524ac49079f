package room

import (
	"errors"
	"time"

	"github.com/rs/zerolog"
)

// member is one participant of a call, bound to one device.
type member struct {
	user       UserID
	device     DeviceID
	camera     bool
	microphone bool
	audioRoute string
	tracks     []Track
	media      *memberMedia // nil until the member publishes or has something to receive
	// mediaStale: the call was taken over from another node and this
	// member has not built media here yet; its device is told mediaReset
	// (ownerChanged) when the call is restored and again when it attaches.
	mediaStale bool
}

// invitee is one invited user of a call with the invitation that last rang it.
type invitee struct {
	user       UserID
	state      InviteeStatus
	received   bool
	invitation InvitationID
	inviter    UserID
}

// invitation is one invite request: who sent it, whom it named, its ring timer.
type invitation struct {
	id         InvitationID
	inviter    UserID
	named      []UserID
	customData string
	expiresAt  time.Time
	timer      Timer
}

// Room is one call. All fields below the channels are owned by the loop
// goroutine and touched nowhere else.
type Room struct {
	id   CallID
	mgr  *Manager
	log  zerolog.Logger
	cmds chan func()
	done chan struct{}
	// counted is this room's share of the Manager's member count; guarded
	// by the Manager's mu (counts.go).
	counted int

	typ          CallType
	cfg          Config
	initiator    UserID
	startedAt    time.Time
	members      []*member
	invitees     []*invitee
	invitations  map[InvitationID]*invitation
	everUsers    []UserID // everyone who was ever a member, in order
	othersEver   bool     // someone other than the initiator was ever a member
	ending       string   // non-empty once the call is over: the reason
	abandoned    bool     // the call moved to another node: end silently (Manager.Abandon)
	lastSnapshot []byte   // the last snapshot handed to the Persister (snapshot.go)
	endPersisted bool     // the Persister was told the call ended (snapshot.go)
	cur          *cmdCtx  // the request being processed, if any
	toRelease    []UserID // busy slots to free before the next event or reply (shared_batch.go)
}

// cmdCtx holds the events a request addressed to its own device; they are
// emitted after the reply.
type cmdCtx struct {
	caller *Caller
	held   []heldEvent
}

type heldEvent struct {
	to Recipient
	ev Event
}

// newRoom builds a room whose first member is its initiator. It runs under
// the Manager's lock and so must not call back into the Manager.
func newRoom(m *Manager, id CallID, typ CallType, cfg Config, c Caller) *Room {
	r := &Room{
		id:          id,
		mgr:         m,
		log:         m.log.With().Str("call_id", string(id)).Logger(),
		cmds:        make(chan func()),
		done:        make(chan struct{}),
		typ:         typ,
		cfg:         cfg,
		initiator:   c.User,
		startedAt:   m.cfg.Clock.Now(),
		invitations: make(map[InvitationID]*invitation),
	}
	r.members = append(r.members, newMember(c.User, c.Device, typ))
	r.everUsers = append(r.everUsers, c.User)
	return r
}

// newMember returns a member with the contract's initial device state.
func newMember(u UserID, d DeviceID, typ CallType) *member {
	return &member{user: u, device: d, camera: typ == CallVideo, microphone: true, audioRoute: "speaker"}
}

// loop runs commands until the call ends or the manager closes.
func (r *Room) loop() {
	defer r.mgr.wg.Done()
	for {
		select {
		case f := <-r.cmds:
			f()
			if r.ending != "" {
				return
			}
		case <-r.mgr.closing:
			r.closeAllMedia()
			r.stopTimers()
			r.ending = "shutdown"
			r.mgr.unregister(r, r.knownUsers(), r.waitingInviters())
			close(r.done)
			return
		}
	}
}

// errNotHandled lets a command decline a request without replying, so that
// the Manager can route it elsewhere.
var errNotHandled = errors.New("not handled")

// run executes f on the loop for caller c and waits for it. reply (if not
// nil) gets f's outcome on the loop, before the events f addressed to the
// caller's device. run returns errClosed when the room ended before taking
// the command (reply not called), errNotHandled when f declined, and nil
// otherwise.
func (r *Room) run(c *Caller, reply Reply, f func() (any, error)) error {
	var out error
	finished := make(chan struct{})
	cmd := func() {
		defer close(finished)
		r.cur = &cmdCtx{caller: c}
		res, err := f()
		held := r.cur.held
		r.cur = nil
		r.flushReleases()
		r.persist() // before the reply: what a client was told survives a takeover
		r.flushShared()
		if errors.Is(err, errNotHandled) {
			out = errNotHandled
		} else if reply != nil {
			reply(res, err)
		}
		r.finishEnding()
		for _, h := range held {
			r.mgr.cfg.Notifier.Notify(h.to, h.ev)
		}
		if r.ending != "" {
			close(r.done)
		}
	}
	select {
	case r.cmds <- cmd:
	case <-r.done:
		return errClosed
	case <-r.mgr.closing:
		return ErrUnavailable
	}
	<-finished
	return out
}

// post runs f on the loop without waiting, from a goroutine the Manager
// tracks; it is dropped if the room ends first.
func (r *Room) post(f func()) {
	r.mgr.wg.Add(1)
	go func() {
		defer r.mgr.wg.Done()
		_ = r.run(nil, nil, func() (any, error) { f(); return nil, nil })
	}()
}

// emit sends ev to a recipient, holding it back until after the reply when
// it is addressed to the requesting device. It returns the number of
// devices reached (held events count as one).
func (r *Room) emit(to Recipient, ev Event) int {
	if r.cur != nil && r.cur.caller != nil {
		c := r.cur.caller
		if to.User == c.User && (to.Device == c.Device || to.Device == "" && to.Except != c.Device) {
			r.cur.held = append(r.cur.held, heldEvent{to: to, ev: ev})
			return 1
		}
	}
	// The state this event shows is stored first: a node that takes the
	// call over never restores a state older than one a client saw; the
	// slots it shows freed are freed first (shared_batch.go).
	r.flushReleases()
	r.persist()
	return r.mgr.cfg.Notifier.Notify(to, ev)
}

// end marks the call over for reason; the loop unregisters it at the end of
// the current command.
func (r *Room) end(reason string) {
	if r.ending == "" {
		r.ending = reason
	}
}

// finishEnding unregisters an ending room and stops its timers.
func (r *Room) finishEnding() {
	if r.ending == "" || r.abandoned {
		return
	}
	r.stopTimers()
	r.closeAllMedia()
	r.mgr.unregister(r, r.endingUsers(), r.waitingInviters())
	ever := make([]User, len(r.everUsers))
	for i, u := range r.everUsers {
		ever[i] = r.mgr.user(u)
	}
	r.log.Info().Str("reason", r.ending).Msg("call ended")
	r.mgr.cfg.Observer.CallEnded(r.id, r.ending, r.mgr.cfg.Clock.Now().Sub(r.startedAt), ever)
	r.mgr.cfg.History.CallEnded(r.id, r.ending, r.mgr.cfg.Clock.Now())
}

// stopTimers stops every ring timer.
func (r *Room) stopTimers() {
	for _, inv := range r.invitations {
		if inv.timer != nil {
			inv.timer.Stop()
		}
	}
}

// knownUsers lists every member and invitee.
func (r *Room) knownUsers() []UserID {
	out := make([]UserID, 0, len(r.members)+len(r.invitees))
	for _, m := range r.members {
		out = append(out, m.user)
	}
	for _, iv := range r.invitees {
		out = append(out, iv.user)
	}
	return out
}

// waitingInviters lists, once per invitee still waiting, the member who
// rang it.
func (r *Room) waitingInviters() []UserID {
	var out []UserID
	for _, iv := range r.invitees {
		if iv.state == StatusWaiting {
			out = append(out, iv.inviter)
		}
	}
	return out
}

// memberOf returns u's member record, or nil.
func (r *Room) memberOf(u UserID) *member {
	for _, m := range r.members {
		if m.user == u {
			return m
		}
	}
	return nil
}

// callerMember returns the member record of the requesting device, or an
// ErrNotFound error when the caller is not a member from this device.
func (r *Room) callerMember(c Caller) (*member, error) {
	m := r.memberOf(c.User)
	if m == nil || m.device != c.Device {
		return nil, notFound("you are not a member of call %s on this device", r.id)
	}
	return m, nil
}

// inviteeOf returns u's invitee record, or nil.
func (r *Room) inviteeOf(u UserID) *invitee {
	for _, iv := range r.invitees {
		if iv.user == u {
			return iv
		}
	}
	return nil
}

// removeMember drops u from the member list.
func (r *Room) removeMember(u UserID) {
	for i, m := range r.members {
		if m.user == u {
			r.members = append(r.members[:i], r.members[i+1:]...)
			r.countMembers(-1)
			return
		}
	}
}

// toMember addresses a member's device.
func toMember(m *member) Recipient { return Recipient{User: m.user, Device: m.device} }

// broadcast sends ev to every member except skip (may be empty).
func (r *Room) broadcast(ev Event, skip UserID) {
	for _, m := range r.members {
		if m.user != skip {
			r.emit(toMember(m), ev)
		}
	}
}

// sendToInviter sends ev to the member who rang iv, if it is still a member.
func (r *Room) sendToInviter(iv *invitee, ev Event) {
	if m := r.memberOf(iv.inviter); m != nil {
		r.emit(toMember(m), ev)
	}
}

// setInvitee moves iv through the invitee state machine and reports it.
func (r *Room) setInvitee(iv *invitee, e inviteeEvent) error {
	was := iv.state
	s, err := next(was, e)
	if err != nil {
		return err
	}
	iv.state = s
	switch {
	case was != StatusWaiting && s == StatusWaiting:
		r.mgr.inviteeWaiting(iv.inviter, 1)
	case was == StatusWaiting && s != StatusWaiting:
		r.mgr.inviteeWaiting(iv.inviter, -1)
	}
	r.log.Info().Str("user_id", string(iv.user)).Str("state", string(s)).Msg("invitee state")
	r.mgr.cfg.Observer.InviteeChanged(r.id, iv.invitation, r.mgr.user(iv.user), s)
	r.mgr.cfg.History.InviteeChanged(r.id, iv.invitation, r.mgr.user(iv.user), r.mgr.user(iv.inviter), s, r.mgr.cfg.Clock.Now())
	if s != StatusWaiting {
		if r.mgr != nil && r.memberOf(iv.user) == nil && s != StatusAccepted {
			r.releaseLater(iv.user)
		}
	}
	return nil
}

// waitingCount returns how many invitees are still waiting.
func (r *Room) waitingCount() int {
	n := 0
	for _, iv := range r.invitees {
		if iv.state == StatusWaiting {
			n++
		}
	}
	return n
}

// inviteeViews returns the full invitee list.
func (r *Room) inviteeViews() []InviteeView {
	out := make([]InviteeView, len(r.invitees))
	for i, iv := range r.invitees {
		out[i] = InviteeView{User: r.mgr.user(iv.user), State: iv.state, Received: iv.received}
	}
	return out
}

// announceInvitees sends invitationStateChanged to every member and every
// invitee still waiting.
func (r *Room) announceInvitees() {
	ev := InvitationStateChanged{CallID: r.id, Users: r.inviteeViews()}
	r.broadcast(ev, "")
	for _, iv := range r.invitees {
		if iv.state == StatusWaiting && r.memberOf(iv.user) == nil {
			r.emit(Recipient{User: iv.user}, ev)
		}
	}
}

// snapshot returns the current CallState.
func (r *Room) snapshot() CallState {
	st := CallState{
		CallID:    r.id,
		Type:      r.typ,
		Initiator: r.mgr.user(r.initiator),
		Config:    r.cfg,
		Members:   make([]MemberView, len(r.members)),
		Invitees:  r.inviteeViews(),
		StartedAt: r.startedAt,
	}
	for i, m := range r.members {
		tracks := make([]Track, len(m.tracks))
		copy(tracks, m.tracks)
		st.Members[i] = MemberView{User: r.mgr.user(m.user), Camera: m.camera, Microphone: m.microphone,
			AudioRoute: m.audioRoute, Tracks: tracks}
	}
	return st
}
