package signaling

import (
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// Webhook bodies' data, one struct per event.
type (
	// HookInvitationCreated is the data of invitation.created.
	HookInvitationCreated struct {
		InvitationID string       `json:"invitationID"`
		Inviter      User         `json:"inviter"`
		Invitees     []User       `json:"invitees"`
		Type         string       `json:"type"`
		CustomData   string       `json:"customData"`
		Notification Notification `json:"notification"`
	}
	// HookInvitation is the data of invitation.accepted|declined|busy|canceled|timeout.
	HookInvitation struct {
		InvitationID string `json:"invitationID"`
		Invitee      User   `json:"invitee"`
	}
	// HookCallStarted is the data of call.started.
	HookCallStarted struct {
		Type      string `json:"type"`
		Initiator User   `json:"initiator"`
	}
	// HookCallEnded is the data of call.ended.
	HookCallEnded struct {
		Reason          string  `json:"reason"`
		DurationSeconds float64 `json:"durationSeconds"`
		Members         []User  `json:"members"`
	}
	// HookMember is the data of member.joined and member.left.
	HookMember struct {
		User   User   `json:"user"`
		Reason string `json:"reason,omitempty"`
	}
)

// InvitationCreated implements room.Observer.
func (w *Webhooks) InvitationCreated(call room.CallID, inv room.InvitationID, inviter room.User, ringing []room.User,
	typ room.CallType, customData string, n room.Notification) {
	w.emit("invitation.created", call, HookInvitationCreated{InvitationID: string(inv), Inviter: wireUser(inviter),
		Invitees: wireUsers(ringing), Type: string(typ), CustomData: customData,
		Notification: Notification{Title: n.Title, Message: n.Message, ResourceID: n.ResourceID}})
}

// InviteeChanged implements room.Observer.
func (w *Webhooks) InviteeChanged(call room.CallID, inv room.InvitationID, u room.User, s room.InviteeStatus) {
	var ev string
	switch s {
	case room.StatusAccepted:
		ev = "invitation.accepted"
	case room.StatusDeclined:
		ev = "invitation.declined"
	case room.StatusBusy:
		ev = "invitation.busy"
	case room.StatusCanceled:
		ev = "invitation.canceled"
	case room.StatusTimeout:
		ev = "invitation.timeout"
	default:
		return
	}
	w.emit(ev, call, HookInvitation{InvitationID: string(inv), Invitee: wireUser(u)})
}

// CallStarted implements room.Observer.
func (w *Webhooks) CallStarted(call room.CallID, typ room.CallType, initiator room.User) {
	w.emit("call.started", call, HookCallStarted{Type: string(typ), Initiator: wireUser(initiator)})
}

// CallEnded implements room.Observer.
func (w *Webhooks) CallEnded(call room.CallID, reason string, d time.Duration, members []room.User) {
	w.emit("call.ended", call, HookCallEnded{Reason: reason, DurationSeconds: d.Seconds(), Members: wireUsers(members)})
}

// MemberJoined implements room.Observer.
func (w *Webhooks) MemberJoined(call room.CallID, u room.User) {
	w.emit("member.joined", call, HookMember{User: wireUser(u)})
}

// MemberLeft implements room.Observer.
func (w *Webhooks) MemberLeft(call room.CallID, u room.User, reason string) {
	w.emit("member.left", call, HookMember{User: wireUser(u), Reason: reason})
}
