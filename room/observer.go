package room

import "time"

// Observer is told about call lifecycle changes, for webhooks and metrics.
// Its methods are called from room loops and must not block.
type Observer interface {
	// InvitationCreated reports a new invite request and whom it rings.
	InvitationCreated(call CallID, inv InvitationID, inviter User, ringing []User, typ CallType, customData string, n Notification)
	// InviteeChanged reports an invitee's new state.
	InviteeChanged(call CallID, inv InvitationID, invitee User, state InviteeStatus)
	// CallStarted reports a new call.
	CallStarted(call CallID, typ CallType, initiator User)
	// CallEnded reports the end of a call with its reason ("noAnswer",
	// "initiatorLeft", "empty" or "shutdown"), how long it lasted and who
	// was ever a member.
	CallEnded(call CallID, reason string, duration time.Duration, members []User)
	// MemberJoined reports a new member.
	MemberJoined(call CallID, u User)
	// MemberLeft reports a member leaving, with the userLeft reason.
	MemberLeft(call CallID, u User, reason string)
}

// nopObserver ignores everything.
type nopObserver struct{}

func (nopObserver) InvitationCreated(CallID, InvitationID, User, []User, CallType, string, Notification) {
}
func (nopObserver) InviteeChanged(CallID, InvitationID, User, InviteeStatus) {}
func (nopObserver) CallStarted(CallID, CallType, User)                       {}
func (nopObserver) CallEnded(CallID, string, time.Duration, []User)          {}
func (nopObserver) MemberJoined(CallID, User)                                {}
func (nopObserver) MemberLeft(CallID, User, string)                          {}

var _ Observer = nopObserver{}
