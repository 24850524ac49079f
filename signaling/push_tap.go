package signaling

import "github.com/ringsfu/ringsfu/room"

// PushSink is told when a user's ring starts and stops, with the devices
// that have a live connection on this node (a session in its resume grace
// is not live), so that it can push to the others (package
// signaling/push). Its methods are called from room loops and must not
// block.
type PushSink interface {
	// Ring reports an incomingCall addressed to all of user's devices.
	Ring(user room.UserID, live []room.DeviceID, ic room.IncomingCall)
	// StopRing reports the end of user's ring for call: reason canceled,
	// timeout, answeredElsewhere or declinedElsewhere.
	StopRing(user room.UserID, live []room.DeviceID, call room.CallID, reason string)
}

// pushNotifier passes every event on and tells the PushSink about rings
// and their ends.
type pushNotifier struct {
	next room.Notifier
	sink PushSink
	hub  *hub
}

// Notify implements room.Notifier.
func (p pushNotifier) Notify(to room.Recipient, ev room.Event) int {
	n := p.next.Notify(to, ev)
	if to.Device != "" {
		return n
	}
	switch e := ev.(type) {
	case room.IncomingCall:
		p.sink.Ring(to.User, p.hub.liveDevices(to.User), e)
	case room.IncomingCallCanceled:
		p.sink.StopRing(to.User, p.hub.liveDevices(to.User), e.CallID, "canceled")
	case room.IncomingCallTimeout:
		p.sink.StopRing(to.User, p.hub.liveDevices(to.User), e.CallID, "timeout")
	case room.AnsweredElsewhere:
		reason := "answeredElsewhere"
		if e.Answer != "accepted" {
			reason = "declinedElsewhere"
		}
		// The device that answered is live (it sent the answer).
		p.sink.StopRing(to.User, append(p.hub.liveDevices(to.User), to.Except), e.CallID, reason)
	}
	return n
}

// withPush wraps the room Notifier when a PushSink is configured.
func (s *Server) withPush(n room.Notifier) room.Notifier {
	if s.cfg.PushSink == nil {
		return n
	}
	return pushNotifier{next: n, sink: s.cfg.PushSink, hub: s.hub}
}

// liveDevices returns user's devices with a connection on this node.
func (h *hub) liveDevices(user room.UserID) []room.DeviceID {
	var out []room.DeviceID
	for _, s := range h.sessionsOf(room.Recipient{User: user}) {
		if s.connOf() != nil {
			out = append(out, room.DeviceID(s.device))
		}
	}
	return out
}
