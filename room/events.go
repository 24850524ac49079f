package room

import "time"

// Notifier receives every event a room emits. Implementations must not
// block: they enqueue and return. The signaling package implements it.
type Notifier interface {
	// Notify delivers ev to the recipient's connected devices and returns
	// how many devices it was handed to.
	Notify(to Recipient, ev Event) int
}

// Recipient addresses an event: one device of a user, or every device of a
// user except, optionally, one.
type Recipient struct {
	User UserID
	// Device, when set, limits delivery to that device.
	Device DeviceID
	// Except, when set (and Device is not), skips that device.
	Except DeviceID
}

// Event is any event a room emits; the concrete types below are all there
// are.
type Event interface{ roomEvent() }

// IncomingCall rings an invitee.
type IncomingCall struct {
	CallID       CallID
	InvitationID InvitationID
	Caller       User
	Type         CallType
	Invitees     []User
	// Members are the call's members when the invitation went out (for a
	// pending invitation in a hello result: now). An invitation into a
	// running call lists who is in it; a new call lists at most the caller.
	Members    []User
	CustomData string
	// Timeout is the time left to ring, and ExpiresAt when it ends.
	Timeout   time.Duration
	ExpiresAt time.Time
}

// IncomingCallCanceled stops an invitee's ringing. Reason is "canceled",
// "callEnded" or "callerGone".
type IncomingCallCanceled struct {
	CallID     CallID
	Caller     User
	CustomData string
	Reason     string
}

// IncomingCallTimeout tells an invitee that its invitation timed out.
type IncomingCallTimeout struct {
	CallID CallID
	Caller User
}

// AnsweredElsewhere tells a user's other devices to stop ringing. Answer is
// "accepted" or "rejected".
type AnsweredElsewhere struct {
	CallID CallID
	Answer string
}

// OutgoingAnswer tells an inviter about one callee's answer. Answer is
// "accepted", "declined" or "busy".
type OutgoingAnswer struct {
	CallID     CallID
	Callee     User
	CustomData string
	Answer     string
}

// OutgoingTimeout tells an inviter which callees of one invite request timed
// out together.
type OutgoingTimeout struct {
	CallID  CallID
	Callees []User
	Type    CallType
}

// InviteeView is one invitee as seen from outside the room.
type InviteeView struct {
	User     User
	State    InviteeStatus
	Received bool
}

// InvitationStateChanged carries the full invitee list of a call.
type InvitationStateChanged struct {
	CallID CallID
	Users  []InviteeView
}

// CallEnded tells a user that the call is over. Reason is "noAnswer" or
// "initiatorLeft".
type CallEnded struct {
	CallID CallID
	Reason string
}

// UserJoined announces a new member.
type UserJoined struct {
	CallID CallID
	User   User
}

// UserLeft announces a member leaving. Reason is "left", "removed" or
// "disconnected".
type UserLeft struct {
	CallID CallID
	User   User
	Reason string
}

// Removed tells a kicked-out user who removed it.
type Removed struct {
	CallID CallID
	By     User
}

// DeviceState broadcasts one member's device state.
type DeviceState struct {
	CallID     CallID
	UserID     UserID
	Camera     bool
	Microphone bool
	AudioRoute string
}

// DeviceControl is a remote device change: Request false means the fields
// were turned off by the initiator (deviceControlled); true means the
// initiator asks the target to turn them on (deviceRequest).
type DeviceControl struct {
	CallID     CallID
	By         User
	Request    bool
	Camera     *bool
	Microphone *bool
}

// TracksChanged announces a member's full current track list.
type TracksChanged struct {
	CallID CallID
	UserID UserID
	Tracks []Track
}

// SubscriberOffer carries the server's SDP offer for a member's subscriber
// PeerConnection.
type SubscriberOffer struct {
	CallID CallID
	SDP    string
}

// PublisherLayers tells a publishing member which simulcast layers of one
// of its tracks some subscriber needs (rids, lowest first; the lowest is
// always named). The device pauses the others (PROTOCOL.md §9.2).
type PublisherLayers struct {
	CallID  CallID
	TrackID TrackID
	Mid     string
	Active  []string
}

// Candidate is one server ICE candidate for a member's PeerConnection;
// End marks the end of candidates.
type Candidate struct {
	CallID        CallID
	Target        string
	Candidate     string
	SDPMid        *string
	SDPMLineIndex *uint16
	End           bool
}

func (IncomingCall) roomEvent()           {}
func (IncomingCallCanceled) roomEvent()   {}
func (IncomingCallTimeout) roomEvent()    {}
func (AnsweredElsewhere) roomEvent()      {}
func (OutgoingAnswer) roomEvent()         {}
func (OutgoingTimeout) roomEvent()        {}
func (InvitationStateChanged) roomEvent() {}
func (CallEnded) roomEvent()              {}
func (UserJoined) roomEvent()             {}
func (UserLeft) roomEvent()               {}
func (Removed) roomEvent()                {}
func (DeviceState) roomEvent()            {}
func (DeviceControl) roomEvent()          {}
func (TracksChanged) roomEvent()          {}
func (SubscriberOffer) roomEvent()        {}
func (Candidate) roomEvent()              {}
func (PublisherLayers) roomEvent()        {}
