package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/media/turnserver"
)

// turnCollector exports the embedded TURN server's counters on /metrics.
type turnCollector struct {
	st                                  *turnserver.Stats
	allocs, live, bytes, refused, drops *prometheus.Desc
}

var _ prometheus.Collector = (*turnCollector)(nil)

func newTURNCollector(st *turnserver.Stats) *turnCollector {
	return &turnCollector{
		st:     st,
		allocs: prometheus.NewDesc("ringsfu_turn_allocations_total", "TURN allocations created.", nil, nil),
		live:   prometheus.NewDesc("ringsfu_turn_allocations", "TURN allocations alive now.", nil, nil),
		bytes: prometheus.NewDesc("ringsfu_turn_relayed_bytes_total",
			"Bytes relayed by the TURN server, by direction (to_sfu: client to SFU; to_client: SFU to client).",
			[]string{"direction"}, nil),
		refused: prometheus.NewDesc("ringsfu_turn_refusals_total",
			"TURN requests and datagrams refused, by reason (auth: expired, malformed or forged credential; "+
				"permission: peer IP not the SFU's; peer: datagram to or from a port that is not the SFU's media port; "+
				"quota: per-user allocation cap).", []string{"reason"}, nil),
		drops: prometheus.NewDesc("ringsfu_turn_bandwidth_drops_total",
			"Datagrams dropped by the per-allocation bandwidth cap.", nil, nil),
	}
}

func (c *turnCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.allocs, c.live, c.bytes, c.refused, c.drops} {
		ch <- d
	}
}

func (c *turnCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.st
	made, ended := st.Allocations.Load(), st.AllocationsEnded.Load()
	ch <- prometheus.MustNewConstMetric(c.allocs, prometheus.CounterValue, float64(made))
	ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(made-min(made, ended)))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(st.BytesToPeers.Load()), "to_sfu")
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(st.BytesFromPeers.Load()), "to_client")
	for _, r := range []struct {
		reason string
		n      uint64
	}{{"auth", st.AuthRefusals.Load()}, {"permission", st.PermissionRefusals.Load()},
		{"peer", st.PeerRefusals.Load()}, {"quota", st.QuotaRefusals.Load()}} {
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(r.n), r.reason)
	}
	ch <- prometheus.MustNewConstMetric(c.drops, prometheus.CounterValue, float64(st.BandwidthDrops.Load()))
}
