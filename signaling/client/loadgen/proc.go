package loadgen

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat CPU times on Linux.
const clockTicks = 100

// usage is a process's CPU time and resident memory at one moment.
type usage struct {
	at  time.Time
	cpu time.Duration
	rss uint64
}

// procUsage reads a process's CPU time and RSS from /proc.
func procUsage(pid int) (usage, error) {
	now := time.Now()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, fmt.Errorf("loadgen: read stat: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 (proc(5)).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return usage{}, fmt.Errorf("loadgen: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 22 {
		return usage{}, fmt.Errorf("loadgen: short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	rssPages, _ := strconv.ParseUint(f[21], 10, 64)
	return usage{at: now, cpu: time.Duration(ut+st) * time.Second / clockTicks, rss: rssPages * uint64(os.Getpagesize())}, nil
}

// metricsUsage reads process_cpu_seconds_total and
// process_resident_memory_bytes from a Prometheus endpoint.
func metricsUsage(url string) (usage, error) {
	now := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return usage{}, fmt.Errorf("loadgen: metrics: %w", err)
	}
	defer resp.Body.Close()
	var u usage
	u.at = now
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "process_cpu_seconds_total":
			u.cpu = time.Duration(v * float64(time.Second))
			found++
		case "process_resident_memory_bytes":
			u.rss = uint64(v)
			found++
		}
	}
	if found < 2 {
		return usage{}, fmt.Errorf("loadgen: %s lacks process metrics", url)
	}
	return u, nil
}

// selfUsage reads this process's CPU time and RSS.
func selfUsage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	u := usage{at: time.Now(), cpu: cpu}
	if p, err := procUsage(os.Getpid()); err == nil {
		u.rss = p.rss
	}
	return u
}

// cores returns the CPU cores used between a and b.
func cores(a, b usage) float64 {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return 0
	}
	return (b.cpu - a.cpu).Seconds() / wall
}
