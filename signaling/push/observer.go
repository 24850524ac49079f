package push

import (
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// maxNotes bounds the notification texts kept; past it the oldest
// invitations ring without their text.
const maxNotes = 10000

var _ room.Observer = (*Dispatcher)(nil)

// InvitationCreated keeps the invite's notification text for the ring
// pushes that follow (room.Observer).
func (d *Dispatcher) InvitationCreated(_ room.CallID, inv room.InvitationID, _ room.User, _ []room.User, _ room.CallType, _ string, n room.Notification) {
	if n.Title == "" && n.Message == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.notes) >= maxNotes {
		return
	}
	d.notes[string(inv)] = note{title: n.Title, body: n.Message, until: time.Now().Add(10 * time.Minute)}
}

// InviteeChanged implements room.Observer; pushes follow the events.
func (*Dispatcher) InviteeChanged(room.CallID, room.InvitationID, room.User, room.InviteeStatus) {}

// CallStarted implements room.Observer.
func (*Dispatcher) CallStarted(room.CallID, room.CallType, room.User) {}

// CallEnded implements room.Observer.
func (*Dispatcher) CallEnded(room.CallID, string, time.Duration, []room.User) {}

// MemberJoined implements room.Observer.
func (*Dispatcher) MemberJoined(room.CallID, room.User) {}

// MemberLeft implements room.Observer.
func (*Dispatcher) MemberLeft(room.CallID, room.User, string) {}
