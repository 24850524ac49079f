package loadgen

import (
	"sort"
	"sync"
	"time"
)

// trackStats counts what one subscriber received of one track. The reader
// goroutine is the only writer; snapshots take the lock.
type trackStats struct {
	kind string

	mu       sync.Mutex
	packets  uint64
	bytes    uint64
	highest  uint32 // extended highest sequence number
	started  bool
	lat      []int64 // sampled latencies in microseconds
	latSkip  int
	latCount int
}

// maxLatencySamples bounds memory per track.
const maxLatencySamples = 4096

// add records one packet.
func (t *trackStats) add(seq uint16, size int, latency time.Duration, haveLatency bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.packets++
	t.bytes += uint64(size)
	ext := uint32(seq)
	if !t.started {
		t.started = true
		t.highest = ext
	} else {
		// Unwrap relative to the highest seen (RFC 3550 §A.1 style).
		cycles := t.highest &^ 0xffff
		cand := cycles | ext
		if int32(cand-t.highest) < -0x8000 {
			cand += 0x10000
		} else if int32(cand-t.highest) > 0x8000 && cand >= 0x10000 {
			cand -= 0x10000
		}
		if cand > t.highest {
			t.highest = cand
		}
	}
	if haveLatency {
		t.latCount++
		if t.latSkip == 0 || t.latCount%t.latSkip == 0 {
			if len(t.lat) < maxLatencySamples {
				t.lat = append(t.lat, latency.Microseconds())
			} else {
				// Keep every other sample and halve the rate.
				half := t.lat[:0]
				for i := 0; i < len(t.lat); i += 2 {
					half = append(half, t.lat[i])
				}
				t.lat = half
				if t.latSkip == 0 {
					t.latSkip = 1
				}
				t.latSkip *= 2
			}
		}
	}
}

// snapshot is a point-in-time copy of the counters.
type snapshot struct {
	packets, bytes uint64
	highest        uint32
	started        bool
}

func (t *trackStats) snap() snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return snapshot{packets: t.packets, bytes: t.bytes, highest: t.highest, started: t.started}
}

// resetLatency drops latency samples (at the start of the window).
func (t *trackStats) resetLatency() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lat, t.latSkip, t.latCount = t.lat[:0], 0, 0
}

func (t *trackStats) latencies() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]int64(nil), t.lat...)
}

// percentile returns the p-th percentile (0..1) of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// sortedFloats sorts and returns vs.
func sortedFloats(vs []float64) []float64 {
	sort.Float64s(vs)
	return vs
}
