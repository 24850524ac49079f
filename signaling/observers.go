package signaling

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/room"
)

// Observers fans call lifecycle notifications out to several observers.
type Observers []room.Observer

var _ room.Observer = Observers(nil)

// InvitationCreated implements room.Observer.
func (os Observers) InvitationCreated(c room.CallID, i room.InvitationID, u room.User, r []room.User, t room.CallType, d string, n room.Notification) {
	for _, o := range os {
		o.InvitationCreated(c, i, u, r, t, d, n)
	}
}

// InviteeChanged implements room.Observer.
func (os Observers) InviteeChanged(c room.CallID, i room.InvitationID, u room.User, s room.InviteeStatus) {
	for _, o := range os {
		o.InviteeChanged(c, i, u, s)
	}
}

// CallStarted implements room.Observer.
func (os Observers) CallStarted(c room.CallID, t room.CallType, u room.User) {
	for _, o := range os {
		o.CallStarted(c, t, u)
	}
}

// CallEnded implements room.Observer.
func (os Observers) CallEnded(c room.CallID, r string, d time.Duration, m []room.User) {
	for _, o := range os {
		o.CallEnded(c, r, d, m)
	}
}

// MemberJoined implements room.Observer.
func (os Observers) MemberJoined(c room.CallID, u room.User) {
	for _, o := range os {
		o.MemberJoined(c, u)
	}
}

// MemberLeft implements room.Observer.
func (os Observers) MemberLeft(c room.CallID, u room.User, r string) {
	for _, o := range os {
		o.MemberLeft(c, u, r)
	}
}

// callMetrics counts invitation outcomes and call endings. The call and
// member gauges are read from the room Manager (gauges.go).
type callMetrics struct {
	invitations *prometheus.CounterVec
	ended       *prometheus.CounterVec
}

var _ room.Observer = (*callMetrics)(nil)

// newCallMetrics creates and registers the call metrics.
func newCallMetrics(reg prometheus.Registerer) *callMetrics {
	m := &callMetrics{
		invitations: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "invitations_total",
			Help: "Invitee outcomes: waiting (rung), accepted, declined, busy, canceled, timeout."}, []string{"outcome"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "calls_ended_total",
			Help: "Calls ended, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.invitations, m.ended)
	}
	return m
}

func (m *callMetrics) InvitationCreated(room.CallID, room.InvitationID, room.User, []room.User, room.CallType, string, room.Notification) {
}

func (m *callMetrics) InviteeChanged(_ room.CallID, _ room.InvitationID, _ room.User, s room.InviteeStatus) {
	switch s {
	case room.StatusQuit, room.StatusRemoved:
		return
	}
	m.invitations.WithLabelValues(string(s)).Inc()
}

func (m *callMetrics) CallStarted(room.CallID, room.CallType, room.User) {}

func (m *callMetrics) CallEnded(_ room.CallID, reason string, _ time.Duration, _ []room.User) {
	m.ended.WithLabelValues(reason).Inc()
}

func (m *callMetrics) MemberJoined(room.CallID, room.User) {}

func (m *callMetrics) MemberLeft(room.CallID, room.User, string) {}
