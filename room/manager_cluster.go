package room

// Owns reports whether call's room runs in this Manager. In a cluster, a
// request for a call that does not run here is relayed to the node that
// owns it.
func (m *Manager) Owns(call CallID) bool { return m.room(call) != nil }

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
		delete(m.rooms, id)
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
