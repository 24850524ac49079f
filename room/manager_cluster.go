package room

// Owns reports whether call's room runs in this Manager and this process
// may still act for it (Ownership.Valid). In a cluster, a request for a
// call not owned here is relayed to the node that owns it.
func (m *Manager) Owns(call CallID) bool { return m.room(call) != nil && m.cfg.Ownership.Valid(call) }

// Index returns the Manager's cross-call user index.
func (m *Manager) Index() UserIndex { return m.cfg.Index }

// Abandon stops a call's room in this process without emitting anything
// and without touching shared state (busy slots, ownership): another node
// took the call over, so this node's lease was fenced. The room's media is
// closed and its timers stopped; its members' clients are told to re-join
// media by the new owner. Abandon waits for the room to stop; it must not
// be called from a room loop.
func (m *Manager) Abandon(id CallID) {
	m.mu.Lock()
	r := m.rooms[id]
	if r != nil {
		m.dropRoomLocked(r)
	}
	m.mu.Unlock()
	if r == nil {
		return
	}
	r.log.Warn().Msg("call taken over by another node: abandoning it here")
	_ = r.run(nil, nil, func() (any, error) {
		r.abandoned = true
		r.stopTimers()
		r.closeAllMedia()
		r.end("ownerChanged")
		return nil, nil
	})
}

// Resync writes every room's shared state again after the cluster store
// lost it or could not be reached: the busy slots of its members and
// waiting invitees, and its snapshot. It does not wait for the rooms.
func (m *Manager) Resync() {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	for _, r := range rooms {
		r.post(func() {
			for _, mb := range r.members {
				if _, err := m.index.ClaimMember(mb.user, r.id, mb.device); err != nil {
					r.log.Warn().Err(err).Str("user_id", string(mb.user)).Msg("re-sync member slot")
				}
			}
			for _, iv := range r.invitees {
				if iv.state == StatusWaiting && r.memberOf(iv.user) == nil {
					if _, err := m.index.ReserveRing(iv.user, r.id); err != nil {
						r.log.Warn().Err(err).Str("user_id", string(iv.user)).Msg("re-sync ring slot")
					}
				}
			}
			r.lastSnapshot = nil // run persists after this command
		})
	}
}
