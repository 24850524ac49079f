package loadgen

import (
	"sort"
	"sync"
	"time"
)

// trackStats is what one subscriber received of one track: the counts of
// its SSRC (kept by the member's sockets, tap.go) and the decrypted sample
// the track reader checks. The reader goroutine is the only writer of the
// sample fields; snapshots take the lock.
type trackStats struct {
	kind    string
	counter *rtpCounter

	mu       sync.Mutex
	sampled  uint64  // decrypted packets checked
	corrupt  uint64  // of which without the synthetic payload
	lat      []int64 // sampled latencies in microseconds
	latSkip  int
	latCount int
}

// maxLatencySamples bounds memory per track.
const maxLatencySamples = 4096

// sample records one decrypted packet: its latency, and whether it carried
// the synthetic payload (ok).
func (t *trackStats) sample(latency time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sampled++
	if !ok {
		t.corrupt++
		return
	}
	t.latCount++
	if t.latSkip != 0 && t.latCount%t.latSkip != 0 {
		return
	}
	if len(t.lat) < maxLatencySamples {
		t.lat = append(t.lat, latency.Microseconds())
		return
	}
	// Keep every other sample and halve the rate.
	half := t.lat[:0]
	for i := 0; i < len(t.lat); i += 2 {
		half = append(half, t.lat[i])
	}
	t.lat = half
	t.latSkip = max(1, t.latSkip) * 2
}

// snapshot is a point-in-time copy of the counters.
type snapshot struct {
	packets, bytes   uint64
	highest          uint32
	started          bool
	sampled, corrupt uint64
}

func (t *trackStats) snap() snapshot {
	s := t.counter.snap()
	t.mu.Lock()
	defer t.mu.Unlock()
	s.sampled, s.corrupt = t.sampled, t.corrupt
	return s
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
