package signaling

import "time"

// tokenBucket is a per-connection rate limiter (PROTOCOL.md §1): rate tokens
// per second, up to burst. It is owned by one connection's read goroutine
// and needs no lock.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// newTokenBucket returns a full bucket.
func newTokenBucket(rate, burst float64, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// allow takes one token if there is one.
func (b *tokenBucket) allow(now time.Time) bool {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens += dt * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// refusalWindow counts refused messages over a sliding window and reports
// when more than limit were refused within it.
type refusalWindow struct {
	window time.Duration
	limit  int
	times  []time.Time
}

// add records a refusal at now and reports whether the limit is exceeded.
func (w *refusalWindow) add(now time.Time) bool {
	cut := now.Add(-w.window)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = append(w.times[i:], now)
	return len(w.times) > w.limit
}
