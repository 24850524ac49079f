package signaling

import "github.com/prometheus/client_golang/prometheus"

// gauges returns the server's gauges. Each is read at scrape time from the
// state it describes (the room Manager's index, the hub's sessions, the
// server's connection set), never kept by increments in event handlers, so
// no ending of a call, session or connection can leave one behind.
func (s *Server) gauges() []prometheus.Collector {
	g := func(name, help string, get func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ringsfu", Name: name, Help: help}, get)
	}
	return []prometheus.Collector{
		g("calls", "Active calls.", func() float64 { return float64(s.mgr.Gauges().Calls) }),
		g("members", "Members in active calls.", func() float64 { return float64(s.mgr.Gauges().Members) }),
		g("invitations_waiting", "Invitees still ringing, over every call.",
			func() float64 { return float64(s.mgr.Gauges().Waiting) }),
		g("inviters", "Users with at least one invitation still ringing.",
			func() float64 { return float64(s.mgr.Gauges().Inviters) }),
		g("sessions", "Signed-in sessions, connected or within their resume grace period.",
			func() float64 { return float64(s.hub.count()) }),
		g("connections", "Open WebSocket connections.", func() float64 { return float64(s.connCount()) }),
		g("connections_pending", "Open WebSocket connections that have not signed in yet.",
			func() float64 { return float64(s.pendingCount()) }),
	}
}

// connCount returns the number of open WebSocket connections.
func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
