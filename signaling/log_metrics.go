package signaling

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/media"
)

// pionLogCollector exports media.LogStats, read at scrape time: how many
// warnings and errors Pion logged, and how many of them the log rate limit
// kept out of the log (a flood of unusable packets shows up here, not in
// the log).
type pionLogCollector struct {
	stats      *media.LogStats
	total      *prometheus.Desc
	suppressed *prometheus.Desc
}

var _ prometheus.Collector = (*pionLogCollector)(nil)

// NewPionLogCollector returns a collector of stats, for the registry that
// serves /metrics.
func NewPionLogCollector(stats *media.LogStats) prometheus.Collector {
	return &pionLogCollector{
		stats: stats,
		total: prometheus.NewDesc("ringsfu_pion_log_messages_total",
			"Warnings and errors Pion logged, written or suppressed, by Pion scope and level.", []string{"scope", "level"}, nil),
		suppressed: prometheus.NewDesc("ringsfu_pion_log_suppressed_total",
			"Pion warnings and errors the log rate limit did not write, by Pion scope and level.", []string{"scope", "level"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *pionLogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.suppressed
}

// Collect implements prometheus.Collector.
func (c *pionLogCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.stats.Snapshot() {
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(r.Total), r.Scope, r.Level)
		ch <- prometheus.MustNewConstMetric(c.suppressed, prometheus.CounterValue, float64(r.Suppressed), r.Scope, r.Level)
	}
}
