package media

import "sync"

// Gate holds values until it opens, then lets them through. It serves the
// ICE candidates that arrive before a PeerConnection can take them: a
// remote candidate before the remote description is set (RFC 8829
// §4.1.17), or one's own candidate before the SDP it belongs to reached
// the peer. The zero Gate is closed and holds any number of values.
type Gate[T any] struct {
	// Max bounds how many values a closed gate holds; 0 means no bound.
	Max int

	mu   sync.Mutex
	open bool // guarded by mu
	held []T  // guarded by mu
}

// Hold reports whether v may go through now (the gate is open). Otherwise
// it is kept for Open and held is true, or dropped because Max values are
// held already and both results are false.
func (g *Gate[T]) Hold(v T) (pass, held bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		return true, false
	}
	if g.Max > 0 && len(g.held) >= g.Max {
		return false, false
	}
	g.held = append(g.held, v)
	return false, true
}

// Open opens the gate and returns what it held, in order; it returns nil
// when the gate was open already.
func (g *Gate[T]) Open() []T {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		return nil
	}
	g.open = true
	held := g.held
	g.held = nil
	return held
}
