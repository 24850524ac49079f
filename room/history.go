package room

import "time"

// History is told every fact of a call that call history keeps: the call's
// start and end, each membership with the device that joined, and each
// invitee's state with who invited it. Unlike Observer it carries the
// inviter and the time the room saw the change (from the Manager's Clock).
// Its methods are called from room loops and must not block: an
// implementation enqueues and returns (package room/history writes to a
// database from its own goroutine). Package room imports no database code.
type History interface {
	// CallStarted reports a new call and its initiator.
	CallStarted(call CallID, typ CallType, initiator User, at time.Time)
	// CallEnded reports the end of a call with its reason.
	CallEnded(call CallID, reason string, at time.Time)
	// MemberJoined reports a user becoming a member from device.
	MemberJoined(call CallID, u User, device DeviceID, at time.Time)
	// MemberLeft reports a member leaving ("left", "removed",
	// "disconnected", or the call's end reason).
	MemberLeft(call CallID, u User, reason string, at time.Time)
	// InviteeChanged reports an invitee's new state; inviter is the member
	// who rang it.
	InviteeChanged(call CallID, inv InvitationID, invitee, inviter User, state InviteeStatus, at time.Time)
}

// nopHistory records nothing.
type nopHistory struct{}

func (nopHistory) CallStarted(CallID, CallType, User, time.Time)  {}
func (nopHistory) CallEnded(CallID, string, time.Time)            {}
func (nopHistory) MemberJoined(CallID, User, DeviceID, time.Time) {}
func (nopHistory) MemberLeft(CallID, User, string, time.Time)     {}
func (nopHistory) InviteeChanged(CallID, InvitationID, User, User, InviteeStatus, time.Time) {
}

var _ History = nopHistory{}
