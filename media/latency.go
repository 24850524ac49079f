package media

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// LatencyHistogram counts durations in logarithmic buckets (four per power
// of two, so a quantile is exact to within 19%) from 1 µs to about 70 s.
// Observe is lock-free and allocation-free; the zero value is ready to use.
// Package sfu records the time a packet spends in the forwarding path with
// it, and BatchConn the time datagrams wait for their sendmmsg.
type LatencyHistogram struct {
	counts [histBuckets]atomic.Uint64
}

const (
	histSub     = 4 // buckets per power of two
	histBuckets = 26 * histSub
)

// bucketOf maps a duration in microseconds to its bucket.
func bucketOf(us uint64) int {
	if us < 1 {
		return 0
	}
	exp := bits.Len64(us) - 1 // 2^exp <= us < 2^(exp+1)
	var frac uint64
	if exp >= 2 {
		frac = (us >> (exp - 2)) & (histSub - 1)
	} else {
		frac = (us << (2 - exp)) & (histSub - 1)
	}
	b := exp*histSub + int(frac)
	return min(b, histBuckets-1)
}

// bucketUpper returns the upper bound of bucket b in microseconds.
func bucketUpper(b int) float64 {
	exp, frac := b/histSub, b%histSub
	return float64(uint64(1)<<exp) * (1 + float64(frac+1)/histSub)
}

// Observe records one duration.
func (h *LatencyHistogram) Observe(d time.Duration) {
	h.counts[bucketOf(uint64(d/time.Microsecond))].Add(1)
}

// Snapshot returns the counts recorded so far.
func (h *LatencyHistogram) Snapshot() LatencySnapshot {
	var s LatencySnapshot
	for i := range h.counts {
		s.counts[i] = h.counts[i].Load()
	}
	return s
}

// LatencySnapshot is a copy of a LatencyHistogram's counts.
type LatencySnapshot struct {
	counts [histBuckets]uint64
}

// Sub returns the counts recorded between old and s.
func (s LatencySnapshot) Sub(old LatencySnapshot) LatencySnapshot {
	for i := range s.counts {
		s.counts[i] -= old.counts[i]
	}
	return s
}

// Count returns the number of observations.
func (s LatencySnapshot) Count() uint64 {
	var n uint64
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Quantile returns the upper bound of the bucket holding quantile q (0..1),
// or 0 without observations.
func (s LatencySnapshot) Quantile(q float64) time.Duration {
	n := s.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			return time.Duration(bucketUpper(i) * float64(time.Microsecond))
		}
	}
	return time.Duration(bucketUpper(histBuckets-1) * float64(time.Microsecond))
}
