package media

import (
	"sort"
	"sync"
)

// LogStats counts the warnings and errors Pion handed to the logging bridge,
// by Pion scope and level, and how many of them the rate limit kept out of
// the log. It is safe for concurrent use; the server exports it on /metrics.
type LogStats struct {
	mu     sync.Mutex
	counts map[logCountKey]*LogCount // guarded by mu
}

type logCountKey struct{ scope, level string }

// LogCount is one row of LogStats: the messages of one scope and level.
type LogCount struct {
	// Scope is the Pion logger scope ("ice", "udpmux", "dtls", …).
	Scope string
	// Level is "warn" or "error".
	Level string
	// Total counts every message, written or not.
	Total uint64
	// Suppressed counts the messages the rate limit did not write.
	Suppressed uint64
}

// NewLogStats returns empty counters.
func NewLogStats() *LogStats {
	return &LogStats{counts: make(map[logCountKey]*LogCount)}
}

// add counts one message. Scopes are the fixed names Pion's packages log
// under, so the table stays small.
func (s *LogStats) add(scope, level string, suppressed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := logCountKey{scope, level}
	c := s.counts[k]
	if c == nil {
		c = &LogCount{Scope: scope, Level: level}
		s.counts[k] = c
	}
	c.Total++
	if suppressed {
		c.Suppressed++
	}
}

// Snapshot returns the counters, sorted by scope and level.
func (s *LogStats) Snapshot() []LogCount {
	s.mu.Lock()
	out := make([]LogCount, 0, len(s.counts))
	for _, c := range s.counts {
		out = append(out, *c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Level < out[j].Level
	})
	return out
}
