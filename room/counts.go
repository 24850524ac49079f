package room

// counts are the Manager's running totals, kept at the only places where the
// state they count changes: a room's member list grows or shrinks
// (countMembers) or the room leaves the live set (dropRoomLocked), an invitee enters or leaves "waiting" (setInvitee),
// or a room is torn down with invitees still waiting (unregister). Metrics
// read them; nothing else derives them, so no ending can skip them.
type counts struct {
	members int            // members over every live room
	waiting int            // invitees in state waiting, over every call
	sent    map[UserID]int // waiting invitees per inviter
}

// Gauges is a snapshot of the Manager's live totals.
type Gauges struct {
	// Calls is the number of live calls.
	Calls int
	// Members is the number of members over every live call.
	Members int
	// Waiting is the number of invitees still ringing, over every call.
	Waiting int
	// Inviters is the number of users with at least one waiting
	// invitation sent.
	Inviters int
}

// Gauges returns the live totals.
func (m *Manager) Gauges() Gauges {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Gauges{Calls: len(m.rooms), Members: m.counts.members, Waiting: m.counts.waiting, Inviters: len(m.counts.sent)}
}

// countMembers changes the member count by d for r's member list. It
// takes mu, so the room loop calls it (never while holding mu).
func (r *Room) countMembers(d int) {
	r.mgr.mu.Lock()
	defer r.mgr.mu.Unlock()
	r.mgr.countMembersLocked(r, d)
}

// countMembersLocked changes the member count by d while r is registered;
// r.counted keeps r's share, which dropRoomLocked takes back. The caller
// holds mu.
func (m *Manager) countMembersLocked(r *Room, d int) {
	if m.rooms[r.id] != r {
		return
	}
	r.counted += d
	m.counts.members += d
}

// dropRoomLocked removes r from the live rooms and its members from the
// count. The caller holds mu.
func (m *Manager) dropRoomLocked(r *Room) {
	delete(m.rooms, r.id)
	m.counts.members -= r.counted
	r.counted = 0
}

// addSent changes the number of waiting invitees rung by u by d. The caller
// holds mu.
func (m *Manager) addSent(u UserID, d int) {
	m.counts.waiting += d
	n := m.counts.sent[u] + d
	if n <= 0 {
		delete(m.counts.sent, u)
		return
	}
	m.counts.sent[u] = n
}

// inviteeWaiting records that an invitee rung by inviter entered (d = +1)
// or left (d = -1) the waiting state.
func (m *Manager) inviteeWaiting(inviter UserID, d int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addSent(inviter, d)
}

// canSend reports whether u may have n more waiting invitations.
func (m *Manager) canSend(u UserID, n int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts.sent[u]+n <= m.cfg.MaxOutstandingInvites
}
