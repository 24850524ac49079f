package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot is what another process needs to take a call over: everything a
// room holds except its media (members publish and subscribe again against
// the new owner) and its goroutine. It is encoded as JSON; in a cluster the
// owner stores it after every command that changed it (Persister), fenced
// by its lease.
type Snapshot struct {
	CallID      CallID               `json:"callID"`
	Type        CallType             `json:"type"`
	Config      Config               `json:"config"`
	Initiator   UserID               `json:"initiator"`
	StartedAt   time.Time            `json:"startedAt"`
	Members     []SnapshotMember     `json:"members"`
	Invitees    []SnapshotInvitee    `json:"invitees"`
	Invitations []SnapshotInvitation `json:"invitations"`
	EverUsers   []UserID             `json:"everUsers"`
	OthersEver  bool                 `json:"othersEver"`
	// Names are the display names of the users above, so that the new
	// owner shows them as the old one did.
	Names map[UserID]string `json:"names"`
}

// SnapshotMember is one member in a Snapshot.
type SnapshotMember struct {
	User       UserID   `json:"user"`
	Device     DeviceID `json:"device"`
	Camera     bool     `json:"camera"`
	Microphone bool     `json:"microphone"`
	AudioRoute string   `json:"audioRoute"`
}

// SnapshotInvitee is one invitee in a Snapshot.
type SnapshotInvitee struct {
	User       UserID        `json:"user"`
	State      InviteeStatus `json:"state"`
	Received   bool          `json:"received"`
	Invitation InvitationID  `json:"invitation"`
	Inviter    UserID        `json:"inviter"`
}

// SnapshotInvitation is one invite request with a running ring timer.
type SnapshotInvitation struct {
	ID         InvitationID `json:"id"`
	Inviter    UserID       `json:"inviter"`
	Named      []UserID     `json:"named"`
	CustomData string       `json:"customData"`
	ExpiresAt  time.Time    `json:"expiresAt"`
}

// Persister stores call snapshots for a takeover. Persist is called on the
// room's loop after each command that changed the call, before its reply,
// and before each event that shows a changed state to another device (so
// a client is only told a state once it is stored) (data is the JSON
// Snapshot; users are its members and invitees), so it must be quick; it
// reports failures itself (a fenced write means the call moved). A nil
// data means the call is ending: its snapshot must go, so that nobody
// takes it over.
type Persister interface {
	Persist(call CallID, data []byte, users []UserID)
}

// takeSnapshot captures the room's state. It runs on the loop.
func (r *Room) takeSnapshot() Snapshot {
	s := Snapshot{CallID: r.id, Type: r.typ, Config: r.cfg, Initiator: r.initiator, StartedAt: r.startedAt,
		Members: make([]SnapshotMember, len(r.members)), Invitees: make([]SnapshotInvitee, len(r.invitees)),
		Invitations: make([]SnapshotInvitation, 0, len(r.invitations)),
		EverUsers:   append([]UserID(nil), r.everUsers...), OthersEver: r.othersEver, Names: map[UserID]string{}}
	name := func(u UserID) {
		if _, ok := s.Names[u]; !ok {
			s.Names[u] = r.mgr.user(u).Name
		}
	}
	for i, m := range r.members {
		s.Members[i] = SnapshotMember{User: m.user, Device: m.device, Camera: m.camera, Microphone: m.microphone, AudioRoute: m.audioRoute}
		name(m.user)
	}
	for i, iv := range r.invitees {
		s.Invitees[i] = SnapshotInvitee{User: iv.user, State: iv.state, Received: iv.received, Invitation: iv.invitation, Inviter: iv.inviter}
		name(iv.user)
	}
	for _, inv := range r.invitations {
		s.Invitations = append(s.Invitations, SnapshotInvitation{ID: inv.id, Inviter: inv.inviter,
			Named: append([]UserID(nil), inv.named...), CustomData: inv.customData, ExpiresAt: inv.expiresAt})
		for _, u := range inv.named {
			name(u)
		}
	}
	for _, u := range r.everUsers {
		name(u)
	}
	return s
}

// persist hands the room's snapshot to the Persister when it changed since
// the last one; for a call that is ending, it tells the Persister so once
// (nil data), so that no node takes over a call whose end a client may
// have seen. It runs on the loop after each command and before each event
// sent to another device (emit).
func (r *Room) persist() {
	p := r.mgr.cfg.Persister
	if p == nil || r.abandoned {
		return
	}
	if r.ending != "" {
		if !r.endPersisted {
			r.endPersisted = true
			p.Persist(r.id, nil, nil)
		}
		return
	}
	data, err := json.Marshal(r.takeSnapshot())
	if err != nil {
		r.log.Error().Err(err).Msg("encode snapshot")
		return
	}
	if bytes.Equal(data, r.lastSnapshot) {
		return
	}
	r.lastSnapshot = data
	p.Persist(r.id, data, r.knownUsers())
}

// Restore starts a room from a snapshot that another process wrote: this
// process now owns the call (the caller acquired its ownership first). The
// ring timers are re-armed with the time they had left (those already due
// fire at once). The users' busy slots are shared state and stay as they
// are. Restore fails with ErrConflict when the call already runs here.
func (m *Manager) Restore(data []byte) error {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: snapshot: %v", ErrBadRequest, err)
	}
	if s.CallID == "" || len(s.Members) == 0 {
		return fmt.Errorf("%w: snapshot without call id or members", ErrBadRequest)
	}
	for u, n := range s.Names {
		m.suggestName(u, n)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrUnavailable
	}
	if _, ok := m.rooms[s.CallID]; ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: call %s already runs here", ErrConflict, s.CallID)
	}
	first := s.Members[0]
	r := newRoom(m, s.CallID, s.Type, s.Config, Caller{User: first.User, Device: first.Device})
	r.initiator, r.startedAt, r.members = s.Initiator, s.StartedAt, nil
	for _, sm := range s.Members {
		r.members = append(r.members, &member{user: sm.User, device: sm.Device, camera: sm.Camera,
			microphone: sm.Microphone, audioRoute: sm.AudioRoute, mediaStale: true})
	}
	for _, si := range s.Invitees {
		r.invitees = append(r.invitees, &invitee{user: si.User, state: si.State, received: si.Received,
			invitation: si.Invitation, inviter: si.Inviter})
	}
	r.everUsers, r.othersEver = append([]UserID(nil), s.EverUsers...), s.OthersEver
	now := m.cfg.Clock.Now()
	for _, si := range s.Invitations {
		inv := &invitation{id: si.ID, inviter: si.Inviter, named: si.Named, customData: si.CustomData, expiresAt: si.ExpiresAt}
		r.invitations[inv.id] = inv
		id := inv.id
		inv.timer = m.cfg.Deadlines.Schedule(r.id, string(id), max(inv.expiresAt.Sub(now), 0), func() {
			r.post(func() { r.timeout(id) })
		})
	}
	m.rooms[s.CallID] = r
	m.countMembersLocked(r, len(r.members))
	m.wg.Add(1)
	m.mu.Unlock()
	r.log.Info().Int("members", len(r.members)).Int("invitees", len(r.invitees)).Msg("call taken over")
	// The same call and start: history keeps writing to the same record.
	m.cfg.History.CallStarted(s.CallID, s.Type, m.user(s.Initiator), s.StartedAt)
	go r.loop()
	// Members whose devices are connected to other live nodes hear of the
	// move now; those reconnecting hear of it when they attach (stateFor).
	r.post(func() {
		for _, m := range r.members {
			r.tellStale(m)
		}
	})
	return nil
}
