package room

import "fmt"

// InviteeStatus is the state of one invitee in one call (PROTOCOL.md §2).
type InviteeStatus string

// Invitee states. statusNone is the state of a user who was never invited.
const (
	statusNone     InviteeStatus = ""
	StatusWaiting  InviteeStatus = "waiting"
	StatusAccepted InviteeStatus = "accepted"
	StatusDeclined InviteeStatus = "declined"
	StatusBusy     InviteeStatus = "busy"
	StatusCanceled InviteeStatus = "canceled"
	StatusTimeout  InviteeStatus = "timeout"
	StatusQuit     InviteeStatus = "quit"
	StatusRemoved  InviteeStatus = "removed"
)

// inviteeEvent is something that happens to an invitee.
type inviteeEvent int

// Invitee events.
const (
	evRing     inviteeEvent = iota // invited (again) and free to ring
	evRingBusy                     // invited while busy elsewhere
	evAccept                       // accepted, or joined while waiting
	evDecline                      // rejected with reason declined
	evBusy                         // rejected as busy, by itself or on its behalf
	evCancel                       // canceled by a member
	evTimeout                      // ring timer fired
	evQuit                         // left the call after accepting
	evRemove                       // kicked out
	evRejoin                       // joined by call id after quitting or being removed
)

var inviteeEventNames = [...]string{"ring", "ringBusy", "accept", "decline", "busy", "cancel", "timeout", "quit", "remove", "rejoin"}

func (e inviteeEvent) String() string {
	if int(e) < len(inviteeEventNames) {
		return inviteeEventNames[e]
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// ended reports whether s is a final answer to an invitation, after which
// the user may be invited into the call again.
func (s InviteeStatus) ended() bool {
	switch s {
	case statusNone, StatusDeclined, StatusBusy, StatusCanceled, StatusTimeout, StatusQuit, StatusRemoved:
		return true
	}
	return false
}

// next is the pure transition function of an invitee's state. It returns the
// new state, or an error wrapping ErrNotFound when the event does not apply
// (for example answering an invitation that is no longer waiting).
func next(s InviteeStatus, e inviteeEvent) (InviteeStatus, error) {
	switch e {
	case evRing:
		if s.ended() {
			return StatusWaiting, nil
		}
	case evRingBusy:
		if s.ended() {
			return StatusBusy, nil
		}
	case evAccept:
		if s == StatusWaiting {
			return StatusAccepted, nil
		}
	case evDecline:
		if s == StatusWaiting {
			return StatusDeclined, nil
		}
	case evBusy:
		if s == StatusWaiting {
			return StatusBusy, nil
		}
	case evCancel:
		if s == StatusWaiting {
			return StatusCanceled, nil
		}
	case evTimeout:
		if s == StatusWaiting {
			return StatusTimeout, nil
		}
	case evQuit:
		if s == StatusAccepted {
			return StatusQuit, nil
		}
	case evRemove:
		if s == StatusAccepted {
			return StatusRemoved, nil
		}
	case evRejoin:
		if s.ended() && s != statusNone {
			return StatusAccepted, nil
		}
	}
	return s, fmt.Errorf("%w: invitee in state %q cannot %s", ErrNotFound, s, e)
}
