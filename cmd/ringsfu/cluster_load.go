package main

import (
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/sfu"
)

// cpuMeter measures this process's CPU use between heartbeats as a
// fraction of the machine (getrusage user+system time over wall time and
// cores), and the RTP packets it forwards per second.
type cpuMeter struct {
	stats *sfu.Stats // packets forwarded; nil: not measured

	mu      sync.Mutex
	last    time.Time     // guarded by mu
	used    time.Duration // guarded by mu: CPU time at last
	packets uint64        // guarded by mu: packets out at last
	frac    float64       // guarded by mu: last figure
	pps     float64       // guarded by mu: last figure
}

// load returns the figures for a heartbeat.
func (m *cpuMeter) load() cluster.Load {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cluster.Load{}
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var packets uint64
	if m.stats != nil {
		packets = m.stats.PacketsOut.Load()
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.last.IsZero() {
		if wall := now.Sub(m.last); wall > 100*time.Millisecond {
			m.frac = float64(used-m.used) / float64(wall) / float64(runtime.NumCPU())
			m.pps = float64(packets-m.packets) / wall.Seconds()
			m.last, m.used, m.packets = now, used, packets
		}
	} else {
		m.last, m.used, m.packets = now, used, packets
	}
	return cluster.Load{CPU: m.frac, PacketsPerSec: m.pps}
}
