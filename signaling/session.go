package signaling

import (
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// session is one signed-in device of a user. It outlives its connection by
// the resume grace period, so a client that reconnects in time keeps its
// call membership and pending invitations.
type session struct {
	id     string
	user   string
	device string
	claim  string
	seq    uint64 // creation order within the hub: lower is older
	// created is when the device's session began (kept when it moves to
	// another node): the cluster-wide device cap ends the oldest.
	created time.Time

	mu        sync.Mutex
	conn      *conn         // guarded by mu; nil while disconnected
	handshake bool          // guarded by mu; events are buffered while true
	buffered  []bufferedMsg // guarded by mu
	grace     *time.Timer   // guarded by mu; running while disconnected
	ended     bool          // guarded by mu
}

// bufferedMsg is an event held during the hello handshake. ringCall names
// the call of an incomingCall event, which is dropped if the hello result
// already lists that invitation.
type bufferedMsg struct {
	data     []byte
	ringCall string
}

// caller returns the room-side identity of the session.
func (s *session) caller() room.Caller {
	return room.Caller{User: room.UserID(s.user), Device: room.DeviceID(s.device), Claim: room.CallID(s.claim)}
}

// deliver hands an encoded event to the session's connection, or buffers it
// during the hello handshake. It reports whether the device got it.
func (s *session) deliver(msg []byte, ringCall string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.conn == nil {
		return false
	}
	if s.handshake {
		s.buffered = append(s.buffered, bufferedMsg{data: msg, ringCall: ringCall})
		return true
	}
	return s.conn.enqueue(msg)
}

// finishHandshake sends the hello reply (if any) and the extra messages,
// then every buffered event except incomingCall events for calls listed in
// pending, and ends buffering.
func (s *session) finishHandshake(reply []byte, extra [][]byte, pending map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conn
	buf := s.buffered
	s.buffered, s.handshake = nil, false
	if c == nil {
		return
	}
	if reply != nil {
		c.enqueue(reply)
	}
	for _, m := range extra {
		c.enqueue(m)
	}
	for _, b := range buf {
		if b.ringCall != "" && pending[b.ringCall] {
			continue
		}
		c.enqueue(b.data)
	}
}
