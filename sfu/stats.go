package sfu

import (
	"sync/atomic"
	"time"
)

// Stats counts the media plane's work for metrics. One Stats is shared by
// every Peer of a server (PeerConfig.Stats); all fields are updated with
// atomic adds, so reading them never stops forwarding.
type Stats struct {
	PacketsIn   atomic.Uint64 // RTP packets read from publishers
	BytesIn     atomic.Uint64 // their payload and header bytes
	PacketsOut  atomic.Uint64 // RTP packets written to subscribers
	BytesOut    atomic.Uint64
	Dropped     atomic.Uint64 // packets a subscriber should have got but whose write failed
	NACKsIn     atomic.Uint64 // sequence numbers subscribers asked to be resent
	Retransmits atomic.Uint64 // packets resent from the retransmission ring
	PLIsIn      atomic.Uint64 // PLI/FIR received from subscribers
	PLIsOut     atomic.Uint64 // PLI sent to publishers (relayed or the server's own)
	// DownTracksFast and DownTracksPion count DownTracks by the send path
	// they chose at their first activation (fastpath.go).
	DownTracksFast atomic.Uint64
	DownTracksPion atomic.Uint64

	latency [numLatencyBuckets + 1]atomic.Uint64
	latSum  atomic.Uint64 // nanoseconds
}

// numLatencyBuckets is the number of finite latency buckets.
const numLatencyBuckets = 9

// LatencyBuckets returns the upper bounds of the forwarding latency
// histogram: the time from reading a packet off the publisher's connection
// to handing it to a subscriber's.
func LatencyBuckets() [numLatencyBuckets]time.Duration {
	return [numLatencyBuckets]time.Duration{
		50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
		time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond,
	}
}

// ObserveLatency records one forwarding latency.
func (s *Stats) ObserveLatency(d time.Duration) {
	bounds := LatencyBuckets()
	i := 0
	for i < len(bounds) && d > bounds[i] {
		i++
	}
	s.latency[i].Add(1)
	s.latSum.Add(uint64(d))
}

// Latency returns cumulative bucket counts (one per LatencyBuckets entry,
// then +Inf), the total count and the sum in seconds, as Prometheus
// histograms expect.
func (s *Stats) Latency() (cumulative []uint64, count uint64, sumSeconds float64) {
	cumulative = make([]uint64, len(s.latency))
	var c uint64
	for i := range s.latency {
		c += s.latency[i].Load()
		cumulative[i] = c
	}
	return cumulative, c, time.Duration(s.latSum.Load()).Seconds()
}
