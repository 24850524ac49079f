package signaling

import (
	"errors"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/room"
)

// handle routes one validated request of a signed-in connection to the room
// Manager. Every request gets exactly one reply when it has an id, and an
// error without id when it has none and fails.
func (s *Server) handle(c *conn, id *string, v validator) {
	if s.historyRequest(c, id, v) || s.pushRequest(c, id, v) {
		return
	}
	if s.routeRemote(c, id, v) {
		return
	}
	reply := c.reply(id)
	if s.cfg.Cluster != nil {
		// Another node created the call between routing and creation
		// here (the same call id, at the same moment): the request goes
		// to that node, as it would have had it come a moment later.
		local := reply
		reply = func(res any, err error) {
			if errors.Is(err, room.ErrElsewhere) && s.routeRemote(c, id, v) {
				return
			}
			local(res, err)
		}
	}
	s.dispatch(c.sess.caller(), reply, v)
}

// dispatch runs one validated request of caller against the local room
// Manager; reply gets its outcome exactly once.
func (s *Server) dispatch(caller room.Caller, reply room.Reply, v validator) {
	switch r := v.(type) {
	case *InviteRequest:
		s.mgr.Invite(caller, inviteFromWire(r), reply)
	case *CancelRequest:
		var ids []room.UserID
		if r.UserIDs != nil {
			ids = userIDs(*r.UserIDs)
		}
		s.mgr.Cancel(caller, room.CallID(r.CallID), ids, r.CustomData, reply)
	case *AcceptRequest:
		s.mgr.Accept(caller, room.CallID(r.CallID), r.CustomData, reply)
	case *RejectRequest:
		s.mgr.Reject(caller, room.CallID(r.CallID), r.CustomData, r.Reason == "busy", reply)
	case *JoinRequest:
		s.mgr.Join(caller, room.CallID(r.CallID), room.CallType(r.Type), configFromWire(r.CallConfig), reply)
	case *LeaveRequest:
		s.mgr.Leave(caller, room.CallID(r.CallID), reply)
	case *RemoveRequest:
		s.mgr.Remove(caller, room.CallID(r.CallID), userIDs(r.UserIDs), reply)
	case *SetDeviceRequest:
		s.mgr.SetDevice(caller, room.CallID(r.CallID),
			room.DeviceChange{Camera: r.Camera, Microphone: r.Microphone, AudioRoute: r.AudioRoute}, reply)
	case *SetRemoteDeviceRequest:
		s.mgr.SetRemoteDevice(caller, room.CallID(r.CallID), room.UserID(r.UserID), r.Camera, r.Microphone, reply)
	case *OfferRequest:
		specs := make([]room.TrackSpec, len(r.Tracks))
		for i, t := range r.Tracks {
			specs[i] = room.TrackSpec{Mid: t.Mid, Source: t.Source}
		}
		answer, err := s.mgr.Publish(caller, room.CallID(r.CallID), r.SDP, specs)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(SDPResult{SDP: answer}, nil)
	case *AnswerRequest:
		reply(nil, s.mgr.Answer(caller, room.CallID(r.CallID), r.SDP))
	case *TrickleRequest:
		var cand *webrtc.ICECandidateInit
		if r.Candidate != nil {
			cand = &webrtc.ICECandidateInit{Candidate: r.Candidate.Candidate, SDPMid: r.Candidate.SDPMid,
				SDPMLineIndex: r.Candidate.SDPMLineIndex}
		}
		reply(nil, s.mgr.Trickle(caller, room.CallID(r.CallID), r.Target, cand))
	case *MediaResetRequest:
		s.mgr.MediaReset(caller, room.CallID(r.CallID), reply)
	case *SubscribeRequest:
		s.mgr.Subscribe(caller, room.CallID(r.CallID), room.TrackID(r.TrackID), r.Quality, reply)
	default:
		reply(nil, badRequest("unsupported request"))
	}
}

// userIDs converts wire ids.
func userIDs(ids []string) []room.UserID {
	out := make([]room.UserID, len(ids))
	for i, id := range ids {
		out[i] = room.UserID(id)
	}
	return out
}

// configFromWire converts an optional callConfig.
func configFromWire(c *CallConfig) *room.ConfigOverride {
	if c == nil {
		return nil
	}
	return &room.ConfigOverride{
		CanInvitingInCalling:      c.CanInvitingInCalling,
		OnlyInitiatorCanInvite:    c.OnlyInitiatorCanInvite,
		EndCallWhenInitiatorLeave: c.EndCallWhenInitiatorLeave,
	}
}

// inviteFromWire converts a validated invite.
func inviteFromWire(r *InviteRequest) room.InviteRequest {
	secs := defaultRingSecs
	if r.TimeoutSeconds != nil {
		secs = *r.TimeoutSeconds
	}
	req := room.InviteRequest{
		Invitees:   make([]room.User, len(r.Invitees)),
		Type:       room.CallType(r.Type),
		CallID:     room.CallID(r.CallID),
		CustomData: r.CustomData,
		Timeout:    time.Duration(secs) * time.Second,
		Config:     configFromWire(r.CallConfig),
	}
	for i, u := range r.Invitees {
		req.Invitees[i] = room.User{ID: room.UserID(u.ID), Name: u.Name}
	}
	if r.Notification != nil {
		req.Notification = room.Notification{Title: r.Notification.Title, Message: r.Notification.Message,
			ResourceID: r.Notification.ResourceID}
	}
	return req
}
