package signaling

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/sfu"
)

// mediaCollector exports sfu.Stats as Prometheus metrics, read at scrape
// time.
type mediaCollector struct {
	stats    *sfu.Stats
	counters []mediaCounter
	latency  *prometheus.Desc
}

type mediaCounter struct {
	desc *prometheus.Desc
	get  func(*sfu.Stats) uint64
}

var _ prometheus.Collector = (*mediaCollector)(nil)

// newMediaCollector describes the media metrics.
func newMediaCollector(s *sfu.Stats) *mediaCollector {
	c := func(name, help string, get func(*sfu.Stats) uint64) mediaCounter {
		return mediaCounter{desc: prometheus.NewDesc("ringsfu_"+name, help, nil, nil), get: get}
	}
	return &mediaCollector{
		stats: s,
		counters: []mediaCounter{
			c("rtp_packets_in_total", "RTP packets received from publishers.", func(s *sfu.Stats) uint64 { return s.PacketsIn.Load() }),
			c("rtp_bytes_in_total", "RTP bytes received from publishers.", func(s *sfu.Stats) uint64 { return s.BytesIn.Load() }),
			c("rtp_packets_out_total", "RTP packets forwarded to subscribers.", func(s *sfu.Stats) uint64 { return s.PacketsOut.Load() }),
			c("rtp_bytes_out_total", "RTP bytes forwarded to subscribers.", func(s *sfu.Stats) uint64 { return s.BytesOut.Load() }),
			c("rtp_dropped_total", "RTP packets whose write to a subscriber failed.", func(s *sfu.Stats) uint64 { return s.Dropped.Load() }),
			c("downtracks_fast_total", "DownTracks that encrypt and send themselves (direct send path).", func(s *sfu.Stats) uint64 { return s.DownTracksFast.Load() }),
			c("downtracks_pion_total", "DownTracks that write through Pion's SRTP writer.", func(s *sfu.Stats) uint64 { return s.DownTracksPion.Load() }),
			c("nacks_total", "Sequence numbers subscribers asked to be resent.", func(s *sfu.Stats) uint64 { return s.NACKsIn.Load() }),
			c("retransmits_total", "Packets resent from the retransmission buffer.", func(s *sfu.Stats) uint64 { return s.Retransmits.Load() }),
			c("plis_received_total", "PLI/FIR received from subscribers.", func(s *sfu.Stats) uint64 { return s.PLIsIn.Load() }),
			c("plis_sent_total", "PLI sent to publishers.", func(s *sfu.Stats) uint64 { return s.PLIsOut.Load() }),
		},
		latency: prometheus.NewDesc("ringsfu_forward_latency_seconds",
			"Time from reading a packet off a publisher's connection to handing it to a subscriber's.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *mediaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.counters {
		ch <- c.desc
	}
	ch <- m.latency
}

// Collect implements prometheus.Collector.
func (m *mediaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.counters {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.get(m.stats)))
	}
	cum, count, sum := m.stats.Latency()
	bounds := sfu.LatencyBuckets()
	buckets := make(map[float64]uint64, len(bounds))
	for i, b := range bounds {
		buckets[b.Seconds()] = cum[i]
	}
	ch <- prometheus.MustNewConstHistogram(m.latency, count, sum, buckets)
}
