package signaling

import (
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// rfc3339 is the wire time format (UTC, RFC 3339).
const rfc3339 = "2006-01-02T15:04:05Z07:00"

// wireTime formats t as RFC 3339 UTC.
func wireTime(t time.Time) string { return t.UTC().Format(rfc3339) }

// ceilSeconds rounds a duration up to whole seconds.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

func wireUser(u room.User) User { return User{ID: string(u.ID), Name: u.Name} }

func wireUsers(us []room.User) []User {
	out := make([]User, len(us))
	for i, u := range us {
		out[i] = wireUser(u)
	}
	return out
}

func wireInvitees(vs []room.InviteeView) []InviteeState {
	out := make([]InviteeState, len(vs))
	for i, v := range vs {
		out[i] = InviteeState{User: wireUser(v.User), State: string(v.State), Received: v.Received}
	}
	return out
}

func wireTracks(ts []room.Track) []Track {
	out := make([]Track, len(ts))
	for i, t := range ts {
		sim := t.Simulcast
		if sim == nil {
			sim = []string{}
		}
		out[i] = Track{TrackID: string(t.ID), Kind: t.Kind, Source: t.Source, Muted: t.Muted, Simulcast: sim}
	}
	return out
}

func wireIncomingCall(ic room.IncomingCall) IncomingCall {
	return IncomingCall{
		CallID:         string(ic.CallID),
		InvitationID:   string(ic.InvitationID),
		Caller:         wireUser(ic.Caller),
		Type:           string(ic.Type),
		Invitees:       wireUsers(ic.Invitees),
		Members:        wireUsers(ic.Members),
		CustomData:     ic.CustomData,
		TimeoutSeconds: ceilSeconds(ic.Timeout),
		ExpiresAt:      wireTime(ic.ExpiresAt),
	}
}

func wireCallState(st room.CallState) CallState {
	out := CallState{
		CallID:    string(st.CallID),
		Type:      string(st.Type),
		Initiator: wireUser(st.Initiator),
		Config: CallConfigState{
			CanInvitingInCalling:      st.Config.CanInvitingInCalling,
			OnlyInitiatorCanInvite:    st.Config.OnlyInitiatorCanInvite,
			EndCallWhenInitiatorLeave: st.Config.EndCallWhenInitiatorLeave,
		},
		Members:   make([]MemberState, len(st.Members)),
		Invitees:  wireInvitees(st.Invitees),
		StartedAt: wireTime(st.StartedAt),
	}
	for i, m := range st.Members {
		out.Members[i] = MemberState{User: wireUser(m.User), Camera: m.Camera, Microphone: m.Microphone,
			AudioRoute: m.AudioRoute, Tracks: wireTracks(m.Tracks)}
	}
	return out
}

// wireResult converts a room result to the body of a `result` message.
func wireResult(res any) any {
	switch r := res.(type) {
	case room.CallState:
		return wireCallState(r)
	case room.InviteResult:
		out := InviteResult{CallID: string(r.CallID), InvitationID: string(r.InvitationID),
			Invitees: make([]InviteOutcome, len(r.Invitees)), Merged: r.Merged}
		for i, o := range r.Invitees {
			out.Invitees[i] = InviteOutcome{User: wireUser(o.User), State: string(o.State), Skipped: o.Skipped}
		}
		return out
	case nil:
		return struct{}{}
	default:
		return res
	}
}

// wireEvent converts a room event to its wire type and body.
func wireEvent(ev room.Event) (string, any) {
	switch e := ev.(type) {
	case room.IncomingCall:
		return TypeIncomingCall, wireIncomingCall(e)
	case room.IncomingCallCanceled:
		return TypeIncomingCallCanceled, IncomingCallCanceled{CallID: string(e.CallID), Caller: wireUser(e.Caller),
			CustomData: e.CustomData, Reason: e.Reason}
	case room.IncomingCallTimeout:
		return TypeIncomingCallTimeout, IncomingCallTimeout{CallID: string(e.CallID), Caller: wireUser(e.Caller)}
	case room.AnsweredElsewhere:
		return TypeIncomingCallAnsweredElsewhere, IncomingCallAnsweredElsewhere{CallID: string(e.CallID), Answer: e.Answer}
	case room.OutgoingAnswer:
		body := OutgoingCallAnswer{CallID: string(e.CallID), Callee: wireUser(e.Callee), CustomData: e.CustomData}
		switch e.Answer {
		case "accepted":
			return TypeOutgoingCallAccepted, body
		case "busy":
			return TypeOutgoingCallRejectedCauseBusy, body
		default:
			return TypeOutgoingCallDeclined, body
		}
	case room.OutgoingTimeout:
		return TypeOutgoingCallTimeout, OutgoingCallTimeout{CallID: string(e.CallID), Callees: wireUsers(e.Callees), Type: string(e.Type)}
	case room.InvitationStateChanged:
		return TypeInvitationStateChanged, InvitationStateChanged{CallID: string(e.CallID), Users: wireInvitees(e.Users)}
	case room.CallEnded:
		return TypeCallEnded, CallEnded{CallID: string(e.CallID), Reason: e.Reason}
	case room.UserJoined:
		return TypeUserJoined, UserJoined{CallID: string(e.CallID), User: wireUser(e.User)}
	case room.UserLeft:
		return TypeUserLeft, UserLeft{CallID: string(e.CallID), User: wireUser(e.User), Reason: e.Reason}
	case room.Removed:
		return TypeRemoved, Removed{CallID: string(e.CallID), By: wireUser(e.By)}
	case room.DeviceState:
		return TypeDeviceState, DeviceState{CallID: string(e.CallID), UserID: string(e.UserID), Camera: e.Camera,
			Microphone: e.Microphone, AudioRoute: e.AudioRoute}
	case room.DeviceControl:
		body := DeviceControl{CallID: string(e.CallID), By: wireUser(e.By), Camera: e.Camera, Microphone: e.Microphone}
		if e.Request {
			return TypeDeviceRequest, body
		}
		return TypeDeviceControlled, body
	case room.TracksChanged:
		return TypeTracks, Tracks{CallID: string(e.CallID), UserID: string(e.UserID), Tracks: wireTracks(e.Tracks)}
	case room.MediaReset:
		return TypeMediaReset, MediaReset{CallID: string(e.CallID), Reason: e.Reason}
	case room.PublisherLayers:
		return TypePublisherLayers, PublisherLayers{CallID: string(e.CallID), TrackID: string(e.TrackID), Mid: e.Mid, Active: e.Active}
	case room.SubscriberOffer:
		return TypeOffer, SubscriberOffer{CallID: string(e.CallID), Target: "subscriber", SDP: e.SDP}
	case room.Candidate:
		body := TrickleRequest{CallID: string(e.CallID), Target: e.Target}
		if !e.End {
			body.Candidate = &Candidate{Candidate: e.Candidate, SDPMid: e.SDPMid, SDPMLineIndex: e.SDPMLineIndex}
		}
		return TypeTrickle, body
	default:
		return "unknown", struct{}{}
	}
}
