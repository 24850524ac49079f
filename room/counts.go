package room

// counts are the Manager's running totals, kept at the only places where the
// state they count changes: a slot of the cross-call index is set or dropped
// (setSlot, dropSlot), an invitee enters or leaves "waiting" (setInvitee),
// or a room is torn down with invitees still waiting (unregister). Metrics
// read them; nothing else derives them, so no ending can skip them.
type counts struct {
	members int            // slots held as a member
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

// setSlot puts u's slot in the index, keeping the member count. The caller
// holds mu.
func (m *Manager) setSlot(u UserID, s slot) {
	if old, ok := m.users[u]; ok && old.member {
		m.counts.members--
	}
	if s.member {
		m.counts.members++
	}
	m.users[u] = s
}

// dropSlot removes u's slot from the index, keeping the member count. The
// caller holds mu.
func (m *Manager) dropSlot(u UserID) {
	if old, ok := m.users[u]; ok && old.member {
		m.counts.members--
	}
	delete(m.users, u)
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
