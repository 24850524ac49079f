package room

import "time"

// Track is one published media track of a member.
type Track struct {
	ID        TrackID
	Kind      string // "audio" or "video"
	Source    string // "camera", "microphone" or "screen"
	Muted     bool
	Simulcast []string // rids, e.g. ["q","h","f"]; empty when not simulcast
}

// MemberView is one member as seen from outside the room.
type MemberView struct {
	User       User
	Camera     bool
	Microphone bool
	AudioRoute string
	Tracks     []Track
}

// CallState is a snapshot of a call.
type CallState struct {
	CallID    CallID
	Type      CallType
	Initiator User
	Config    Config
	Members   []MemberView
	Invitees  []InviteeView
	StartedAt time.Time
}

// InviteOutcome is one requested invitee in an InviteResult.
type InviteOutcome struct {
	User    User
	State   InviteeStatus
	Skipped bool
}

// InviteResult is the result of an invite request.
type InviteResult struct {
	CallID       CallID
	InvitationID InvitationID
	Invitees     []InviteOutcome
	// Merged is true when the invite was taken as accepting a crossing
	// invitation (glare).
	Merged bool
}

// InviteRequest is an invite as the room sees it, already validated for
// syntax by the caller.
type InviteRequest struct {
	Invitees   []User
	Type       CallType
	CallID     CallID // optional
	CustomData string
	Timeout    time.Duration
	// Notification is carried to observers (webhooks) for push delivery.
	Notification Notification
	Config       *ConfigOverride
}

// Notification is the push payload of an invitation.
type Notification struct {
	Title      string
	Message    string
	ResourceID string
}

// DeviceChange is a setDevice request; nil fields are unchanged.
type DeviceChange struct {
	Camera     *bool
	Microphone *bool
	AudioRoute *string
}

// Reply receives the outcome of a request exactly once. A room calls it from
// its loop before emitting the events the request caused to the requesting
// device, so that a reply always precedes those events on the wire.
type Reply func(result any, err error)
