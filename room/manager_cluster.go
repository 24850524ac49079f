package room

// Owns reports whether call's room runs in this Manager. In a cluster, a
// request for a call that does not run here is relayed to the node that
// owns it.
func (m *Manager) Owns(call CallID) bool { return m.room(call) != nil }

// Index returns the Manager's cross-call user index.
func (m *Manager) Index() UserIndex { return m.cfg.Index }
