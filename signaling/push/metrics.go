package push

import "github.com/prometheus/client_golang/prometheus"

// metrics are the dispatcher's /metrics counters.
type metrics struct {
	sent     *prometheus.CounterVec // provider, kind
	failures *prometheus.CounterVec // provider, reason: gone, refused, exhausted
	retries  *prometheus.CounterVec // provider
	dropped  *prometheus.CounterVec // reason: overflow, duplicate, rate_limited, no_provider, store
}

// newMetrics creates the counters and registers them with reg (if any).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "push_sent_total",
			Help: "Pushes accepted by the provider, by provider and kind (ring, stop)."}, []string{"provider", "kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "push_failures_total",
			Help: "Pushes given up, by provider and reason (gone: registration removed; refused; exhausted: out of retries)."},
			[]string{"provider", "reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "push_retries_total",
			Help: "Push send attempts retried after a failure, by provider."}, []string{"provider"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "push_dropped_total",
			Help: "Pushes not sent: overflow (queue full), duplicate, rate_limited, no_provider, store (registrations unreadable)."},
			[]string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.failures, m.retries, m.dropped)
	}
	return m
}
