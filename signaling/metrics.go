package signaling

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the signaling layer's Prometheus counters. Its gauges are
// read from live state at scrape time (gauges.go).
type Metrics struct {
	messagesIn    *prometheus.CounterVec
	eventsOut     *prometheus.CounterVec
	errors        *prometheus.CounterVec
	slowConsumers prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ringsfu", Name: "messages_received_total", Help: "Client messages received, by type."}, []string{"type"}),
		eventsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ringsfu", Name: "events_sent_total", Help: "Server events delivered to devices, by type."}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ringsfu", Name: "errors_total", Help: "Error replies sent, by code."}, []string{"code"}),
		slowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ringsfu", Name: "slow_consumers_total", Help: "Connections dropped because their send queue was full."}),
	}
	if reg != nil {
		reg.MustRegister(m.messagesIn, m.eventsOut, m.errors, m.slowConsumers)
	}
	return m
}
