package signaling

import (
	"encoding/json"
)

// ProtocolVersion is the only protocol version this server speaks.
const ProtocolVersion = 1

// MaxMessageBytes is the largest accepted client message after reassembly;
// one byte more closes the connection with CloseTooLarge.
const MaxMessageBytes = 65536

// Message types in the contract's spelling (PROTOCOL.md). The same strings are
// used by the Go client and the web client.
const (
	// Client → server requests.
	TypeHello           = "hello"
	TypePing            = "ping"
	TypeInvite          = "invite"
	TypeCancel          = "cancel"
	TypeAccept          = "accept"
	TypeReject          = "reject"
	TypeJoin            = "join"
	TypeLeave           = "leave"
	TypeRemove          = "remove"
	TypeSetDevice       = "setDevice"
	TypeSetRemoteDevice = "setRemoteDevice"
	TypeOffer           = "offer" // also a server event (subscriber offer)
	TypeAnswer          = "answer"
	TypeTrickle         = "trickle" // both directions
	TypeSubscribe       = "subscribe"
	TypeMediaReset      = "mediaReset" // also a server event (§9)
	// TypePublisherLayers is a server event (§9.2).
	TypePublisherLayers = "publisherLayers"

	// Server → client replies.
	TypeResult = "result"
	TypeError  = "error"
	TypePong   = "pong"

	// Server → client events.
	TypeIncomingCall                  = "incomingCall"
	TypeIncomingCallCanceled          = "incomingCallCanceled"
	TypeIncomingCallTimeout           = "incomingCallTimeout"
	TypeIncomingCallAnsweredElsewhere = "incomingCallAnsweredElsewhere"
	TypeOutgoingCallAccepted          = "outgoingCallAccepted"
	TypeOutgoingCallDeclined          = "outgoingCallDeclined"
	TypeOutgoingCallRejectedCauseBusy = "outgoingCallRejectedCauseBusy"
	TypeOutgoingCallTimeout           = "outgoingCallTimeout"
	TypeInvitationStateChanged        = "invitationStateChanged"
	TypeCallEnded                     = "callEnded"
	TypeUserJoined                    = "userJoined"
	TypeUserLeft                      = "userLeft"
	TypeRemoved                       = "removed"
	TypeDeviceState                   = "deviceState"
	TypeDeviceControlled              = "deviceControlled"
	TypeDeviceRequest                 = "deviceRequest"
	TypeTracks                        = "tracks"
)

// Close codes (PROTOCOL.md §8 rule 14).
const (
	CloseGoingAway      = 1001 // server shutdown
	CloseTooLarge       = 1009 // message over MaxMessageBytes
	CloseUnauthorized   = 4001 // not authenticated
	CloseBadProtocol    = 4002 // unsupported protocol version
	CloseRateLimited    = 4008 // too many refused messages
	CloseSessionTakenBy = 4009 // session taken over by another connection of the same device
	CloseTooManyDevices = 4010 // session ended: the user signed in on more devices than allowed (PROTOCOL.md §9)
)

// Envelope is one wire message in either direction. ID is a pointer so that
// "no id key" and an empty id stay distinct; Data and Error are raw or typed
// depending on direction.
type Envelope struct {
	ID    *string         `json:"id,omitempty"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *ErrorBody      `json:"error,omitempty"`
}

// ErrorBody is the payload of a server `error` message.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// User is the wire form of a person: every field that refers to a person
// carries one.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ICEServer is one STUN or TURN server handed to clients in the hello result.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// CallConfig is the per-call policy fixed when the call is created.
type CallConfig struct {
	CanInvitingInCalling      *bool `json:"canInvitingInCalling,omitempty"`
	OnlyInitiatorCanInvite    *bool `json:"onlyInitiatorCanInvite,omitempty"`
	EndCallWhenInitiatorLeave *bool `json:"endCallWhenInitiatorLeave,omitempty"`
}

// CallConfigState is the resolved call policy as reported in CallState.
type CallConfigState struct {
	CanInvitingInCalling      bool `json:"canInvitingInCalling"`
	OnlyInitiatorCanInvite    bool `json:"onlyInitiatorCanInvite"`
	EndCallWhenInitiatorLeave bool `json:"endCallWhenInitiatorLeave"`
}

// Notification is the push payload an inviter may attach to an invite; it is
// carried by the invitation.created webhook.
type Notification struct {
	Title      string `json:"title"`
	Message    string `json:"message"`
	ResourceID string `json:"resourceID"`
}

// Track describes one published media track (PROTOCOL.md §6).
type Track struct {
	TrackID   string   `json:"trackID"`
	Kind      string   `json:"kind"`
	Source    string   `json:"source"`
	Muted     bool     `json:"muted"`
	Simulcast []string `json:"simulcast"`
}

// MemberState is one member inside a CallState.
type MemberState struct {
	User       User    `json:"user"`
	Camera     bool    `json:"camera"`
	Microphone bool    `json:"microphone"`
	AudioRoute string  `json:"audioRoute"`
	Tracks     []Track `json:"tracks"`
}

// InviteeState is one invitee of a call with its current state.
type InviteeState struct {
	User     User   `json:"user"`
	State    string `json:"state"`
	Received bool   `json:"received"`
}

// CallState is the snapshot of a call returned by join, accept and hello.
type CallState struct {
	CallID    string          `json:"callID"`
	Type      string          `json:"type"`
	Initiator User            `json:"initiator"`
	Config    CallConfigState `json:"config"`
	Members   []MemberState   `json:"members"`
	Invitees  []InviteeState  `json:"invitees"`
	StartedAt string          `json:"startedAt"`
}

// Candidate is a trickled ICE candidate (RFC 8840 attributes as in the W3C
// RTCIceCandidateInit dictionary).
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// ---- Client → server requests ----

// HelloRequest authenticates a connection (PROTOCOL.md §3). Sent first.
type HelloRequest struct {
	Token    string `json:"token"`
	Protocol *int   `json:"protocol"`
	DeviceID string `json:"deviceId"`
	Resume   string `json:"resume,omitempty"`
}

// HelloResult answers a successful hello; every field is always present.
type HelloResult struct {
	SessionID          string         `json:"sessionId"`
	Resumed            bool           `json:"resumed"`
	User               User           `json:"user"`
	ICEServers         []ICEServer    `json:"iceServers"`
	PendingInvitations []IncomingCall `json:"pendingInvitations"`
	Call               *CallState     `json:"call"`
	// MissedCalls counts the user's missed calls not yet marked seen
	// (§9.3); 0 when call history is off.
	MissedCalls int `json:"missedCalls"`
}

// InviteRequest sends an invitation, creating a call or inviting into the
// sender's current call (PROTOCOL.md §4).
type InviteRequest struct {
	Invitees       []User        `json:"invitees"`
	Type           string        `json:"type"`
	CallID         string        `json:"callID,omitempty"`
	CustomData     string        `json:"customData,omitempty"`
	TimeoutSeconds *int          `json:"timeoutSeconds,omitempty"`
	Notification   *Notification `json:"notification,omitempty"`
	CallConfig     *CallConfig   `json:"callConfig,omitempty"`
}

// InviteResult is the result of an invite.
type InviteResult struct {
	CallID       string          `json:"callID"`
	InvitationID string          `json:"invitationID"`
	Invitees     []InviteOutcome `json:"invitees"`
	Merged       bool            `json:"merged"`
}

// InviteOutcome is one requested invitee in an InviteResult.
type InviteOutcome struct {
	User    User   `json:"user"`
	State   string `json:"state"`
	Skipped bool   `json:"skipped"`
}

// CancelRequest withdraws waiting invitations.
type CancelRequest struct {
	CallID     string    `json:"callID"`
	UserIDs    *[]string `json:"userIDs,omitempty"`
	CustomData string    `json:"customData,omitempty"`
}

// AcceptRequest accepts an invitation; the result is a CallState.
type AcceptRequest struct {
	CallID     string `json:"callID"`
	CustomData string `json:"customData,omitempty"`
}

// RejectRequest declines an invitation, as "declined" (default) or "busy".
type RejectRequest struct {
	CallID     string `json:"callID"`
	CustomData string `json:"customData,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// JoinRequest joins (or creates) a call by id; the result is a CallState.
type JoinRequest struct {
	CallID     string      `json:"callID"`
	Type       string      `json:"type,omitempty"`
	CallConfig *CallConfig `json:"callConfig,omitempty"`
}

// LeaveRequest hangs up.
type LeaveRequest struct {
	CallID string `json:"callID"`
}

// MediaResetRequest asks the server to drop the caller's media in a call
// and start it afresh (PROTOCOL.md §9); the result is empty.
type MediaResetRequest struct {
	CallID string `json:"callID"`
}

// RemoveRequest kicks members out (initiator only).
type RemoveRequest struct {
	CallID  string   `json:"callID"`
	UserIDs []string `json:"userIDs"`
}

// SetDeviceRequest changes the sender's own device state.
type SetDeviceRequest struct {
	CallID     string  `json:"callID"`
	Camera     *bool   `json:"camera,omitempty"`
	Microphone *bool   `json:"microphone,omitempty"`
	AudioRoute *string `json:"audioRoute,omitempty"`
}

// SetRemoteDeviceRequest turns another member's camera or microphone off
// (enforced) or asks it to turn them on (initiator only).
type SetRemoteDeviceRequest struct {
	CallID     string `json:"callID"`
	UserID     string `json:"userID"`
	Camera     *bool  `json:"camera,omitempty"`
	Microphone *bool  `json:"microphone,omitempty"`
}

// TrackSource maps one m-line of a publisher offer to a source.
type TrackSource struct {
	Mid    string `json:"mid"`
	Source string `json:"source"`
}

// OfferRequest is the client's publisher offer; its result is SDPResult.
type OfferRequest struct {
	CallID string        `json:"callID"`
	Target string        `json:"target"`
	SDP    string        `json:"sdp"`
	Tracks []TrackSource `json:"tracks,omitempty"`
}

// SDPResult carries the server's answer to a publisher offer.
type SDPResult struct {
	SDP string `json:"sdp"`
}

// AnswerRequest is the client's answer to a subscriber offer.
type AnswerRequest struct {
	CallID string `json:"callID"`
	Target string `json:"target"`
	SDP    string `json:"sdp"`
}

// TrickleRequest carries one ICE candidate, or null for end of candidates.
// It is also the body of the server's trickle event.
type TrickleRequest struct {
	CallID    string     `json:"callID"`
	Target    string     `json:"target"`
	Candidate *Candidate `json:"candidate"`
}

// SubscribeRequest picks a simulcast layer of a track, or pauses it.
type SubscribeRequest struct {
	CallID  string `json:"callID"`
	TrackID string `json:"trackID"`
	Quality string `json:"quality"`
}

// ---- Server → client events ----

// IncomingCall rings every device of an invitee.
type IncomingCall struct {
	CallID         string `json:"callID"`
	InvitationID   string `json:"invitationID"`
	Caller         User   `json:"caller"`
	Type           string `json:"type"`
	Invitees       []User `json:"invitees"`
	Members        []User `json:"members"` // who is in the call (PROTOCOL.md §9.5)
	CustomData     string `json:"customData"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
	ExpiresAt      string `json:"expiresAt"`
}

// IncomingCallCanceled stops an invitee's ringing (canceled, callEnded,
// callerGone).
type IncomingCallCanceled struct {
	CallID     string `json:"callID"`
	Caller     User   `json:"caller"`
	CustomData string `json:"customData"`
	Reason     string `json:"reason"`
}

// IncomingCallTimeout tells an invitee that its invitation timed out.
type IncomingCallTimeout struct {
	CallID string `json:"callID"`
	Caller User   `json:"caller"`
}

// IncomingCallAnsweredElsewhere stops ringing on the other devices of a user.
type IncomingCallAnsweredElsewhere struct {
	CallID string `json:"callID"`
	Answer string `json:"answer"`
}

// OutgoingCallAnswer is the body of outgoingCallAccepted, outgoingCallDeclined
// and outgoingCallRejectedCauseBusy.
type OutgoingCallAnswer struct {
	CallID     string `json:"callID"`
	Callee     User   `json:"callee"`
	CustomData string `json:"customData"`
}

// OutgoingCallTimeout lists every callee of one invite request that timed
// out together.
type OutgoingCallTimeout struct {
	CallID  string `json:"callID"`
	Callees []User `json:"callees"`
	Type    string `json:"type"`
}

// InvitationStateChanged carries the full invitee list of a call.
type InvitationStateChanged struct {
	CallID string         `json:"callID"`
	Users  []InviteeState `json:"users"`
}

// CallEnded tells a user that the call is over (noAnswer, initiatorLeft,
// or endedByServer: the server API ended it, PROTOCOL.md §9.4).
type CallEnded struct {
	CallID string `json:"callID"`
	Reason string `json:"reason"`
}

// UserJoined announces a new member.
type UserJoined struct {
	CallID string `json:"callID"`
	User   User   `json:"user"`
}

// UserLeft announces a member leaving (left, removed, disconnected).
type UserLeft struct {
	CallID string `json:"callID"`
	User   User   `json:"user"`
	Reason string `json:"reason"`
}

// Removed tells a kicked-out user who removed it.
type Removed struct {
	CallID string `json:"callID"`
	By     User   `json:"by"`
}

// DeviceState broadcasts a member's device state.
type DeviceState struct {
	CallID     string `json:"callID"`
	UserID     string `json:"userID"`
	Camera     bool   `json:"camera"`
	Microphone bool   `json:"microphone"`
	AudioRoute string `json:"audioRoute"`
}

// DeviceControl is the body of deviceControlled and deviceRequest: only the
// fields concerned are present.
type DeviceControl struct {
	CallID     string `json:"callID"`
	By         User   `json:"by"`
	Camera     *bool  `json:"camera,omitempty"`
	Microphone *bool  `json:"microphone,omitempty"`
}

// SubscriberOffer is the server's offer for the subscriber PeerConnection.
type SubscriberOffer struct {
	CallID string `json:"callID"`
	Target string `json:"target"`
	SDP    string `json:"sdp"`
}

// MediaReset tells a member's device that the server dropped its media in
// the call (PROTOCOL.md §9): close both PeerConnections, forget the remote
// tracks, publish the local tracks again and answer the next subscriber
// offer. Reason is peerFailed (or ownerChanged in cluster mode); the
// client behaves the same for any reason.
type MediaReset struct {
	CallID string `json:"callID"`
	Reason string `json:"reason"`
}

// PublisherLayers tells a publishing device which simulcast layers (rids,
// lowest first) of its track trackID, sent on m-line mid of its publisher
// PeerConnection, some subscriber needs (PROTOCOL.md §9.2). The device
// pauses every other layer of the track and resumes the named ones.
type PublisherLayers struct {
	CallID  string   `json:"callID"`
	TrackID string   `json:"trackID"`
	Mid     string   `json:"mid"`
	Active  []string `json:"active"`
}

// Tracks announces a member's full current track list.
type Tracks struct {
	CallID string  `json:"callID"`
	UserID string  `json:"userID"`
	Tracks []Track `json:"tracks"`
}

// requestKinds is the single registry that drives decoding of client
// requests: each type maps to a constructor of its data struct. hello and
// ping are handled by the connection itself but are listed for completeness.
func requestKinds() map[string]func() validator {
	return map[string]func() validator{
		TypeHello:           func() validator { return new(HelloRequest) },
		TypePing:            func() validator { return new(pingRequest) },
		TypeInvite:          func() validator { return new(InviteRequest) },
		TypeCancel:          func() validator { return new(CancelRequest) },
		TypeAccept:          func() validator { return new(AcceptRequest) },
		TypeReject:          func() validator { return new(RejectRequest) },
		TypeJoin:            func() validator { return new(JoinRequest) },
		TypeLeave:           func() validator { return new(LeaveRequest) },
		TypeRemove:          func() validator { return new(RemoveRequest) },
		TypeSetDevice:       func() validator { return new(SetDeviceRequest) },
		TypeSetRemoteDevice: func() validator { return new(SetRemoteDeviceRequest) },
		TypeOffer:           func() validator { return new(OfferRequest) },
		TypeAnswer:          func() validator { return new(AnswerRequest) },
		TypeTrickle:         func() validator { return new(TrickleRequest) },
		TypeSubscribe:       func() validator { return new(SubscribeRequest) },
		TypeMediaReset:      func() validator { return new(MediaResetRequest) },
		TypeCallHistory:     func() validator { return new(CallHistoryRequest) },
		TypeMarkMissedSeen:  func() validator { return new(MarkMissedSeenRequest) },
		TypeRegisterPush:    func() validator { return new(RegisterPushRequest) },
		TypeUnregisterPush:  func() validator { return new(UnregisterPushRequest) },
	}
}

// EventKinds maps every server → client event type to a constructor of its
// data struct. The Go client decodes events through it. `offer` and
// `trickle` events decode into SubscriberOffer and TrickleRequest.
func EventKinds() map[string]func() any {
	return map[string]func() any{
		TypeIncomingCall:                  func() any { return new(IncomingCall) },
		TypeIncomingCallCanceled:          func() any { return new(IncomingCallCanceled) },
		TypeIncomingCallTimeout:           func() any { return new(IncomingCallTimeout) },
		TypeIncomingCallAnsweredElsewhere: func() any { return new(IncomingCallAnsweredElsewhere) },
		TypeOutgoingCallAccepted:          func() any { return new(OutgoingCallAnswer) },
		TypeOutgoingCallDeclined:          func() any { return new(OutgoingCallAnswer) },
		TypeOutgoingCallRejectedCauseBusy: func() any { return new(OutgoingCallAnswer) },
		TypeOutgoingCallTimeout:           func() any { return new(OutgoingCallTimeout) },
		TypeInvitationStateChanged:        func() any { return new(InvitationStateChanged) },
		TypeCallEnded:                     func() any { return new(CallEnded) },
		TypeUserJoined:                    func() any { return new(UserJoined) },
		TypeUserLeft:                      func() any { return new(UserLeft) },
		TypeRemoved:                       func() any { return new(Removed) },
		TypeDeviceState:                   func() any { return new(DeviceState) },
		TypeDeviceControlled:              func() any { return new(DeviceControl) },
		TypeDeviceRequest:                 func() any { return new(DeviceControl) },
		TypeOffer:                         func() any { return new(SubscriberOffer) },
		TypeTrickle:                       func() any { return new(TrickleRequest) },
		TypeTracks:                        func() any { return new(Tracks) },
		TypeMediaReset:                    func() any { return new(MediaReset) },
		TypePublisherLayers:               func() any { return new(PublisherLayers) },
	}
}

// pingRequest is the (empty) body of a client ping.
type pingRequest struct{}
