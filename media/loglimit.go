package media

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// maxLogShapes bounds the shapes a logLimiter tracks; once it is full, new
// shapes share one overflow shape per scope and level, so a sender cannot
// grow the table by varying its packets.
const maxLogShapes = 512

// overflowShape is the shape of messages beyond maxLogShapes.
const overflowShape = "(other)"

// logKey identifies a message shape: a Pion scope, a level, and the format
// string (or the message without digits).
type logKey struct {
	scope string
	level zerolog.Level
	shape string
}

// suppressed is a summary owed for one shape: how many of its messages were
// not written in an interval.
type suppressed struct {
	key   logKey
	count uint64
}

// shapeWindow is the current interval of one shape.
type shapeWindow struct {
	start      time.Time
	written    int
	suppressed uint64
}

// logLimiter is a fixed-window rate limit per message shape: in each
// interval the first burst messages of a shape are written and the others
// counted. The first message of a shape after its interval ended opens a new
// one and hands back the previous interval's suppressed count, to be written
// as one summary line. It is safe for concurrent use.
type logLimiter struct {
	burst    int
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	shapes map[logKey]*shapeWindow // guarded by mu
}

func newLogLimiter(burst int, interval time.Duration, now func() time.Time) *logLimiter {
	return &logLimiter{burst: burst, interval: interval, now: now, shapes: make(map[logKey]*shapeWindow)}
}

// allow reports whether a message of key may be written, and the summary
// owed for the shape's previous interval (count 0: none).
func (l *logLimiter) allow(key logKey) (bool, suppressed) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.shapes[key]
	if w == nil {
		if len(l.shapes) >= maxLogShapes {
			key.shape = overflowShape
			w = l.shapes[key]
		}
		if w == nil {
			w = &shapeWindow{start: now}
			l.shapes[key] = w
		}
	}
	var prev suppressed
	if now.Sub(w.start) >= l.interval {
		prev = suppressed{key: key, count: w.suppressed}
		*w = shapeWindow{start: now}
	}
	if w.written < l.burst {
		w.written++
		return true, prev
	}
	w.suppressed++
	return false, prev
}

// flush returns the summaries owed for every shape and starts new intervals
// for them.
func (l *logLimiter) flush() []suppressed {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []suppressed
	for k, w := range l.shapes {
		if w.suppressed > 0 {
			out = append(out, suppressed{key: k, count: w.suppressed})
		}
		*w = shapeWindow{start: now, written: w.written}
	}
	return out
}
