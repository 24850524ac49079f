package main

import (
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster"
)

// cpuMeter measures this process's CPU use between heartbeats as a
// fraction of the machine (getrusage user+system time over wall time and
// cores).
type cpuMeter struct {
	mu   sync.Mutex
	last time.Time     // guarded by mu
	used time.Duration // guarded by mu: CPU time at last
	frac float64       // guarded by mu: last figure
}

// load returns the figures for a heartbeat; packets/s is not measured yet.
func (m *cpuMeter) load() cluster.Load {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cluster.Load{}
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.last.IsZero() {
		if wall := now.Sub(m.last); wall > 100*time.Millisecond {
			m.frac = float64(used-m.used) / float64(wall) / float64(runtime.NumCPU())
			m.last, m.used = now, used
		}
	} else {
		m.last, m.used = now, used
	}
	return cluster.Load{CPU: m.frac}
}
