package media

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeNow is a settable clock.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

// logLines decodes the JSON lines of buf.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestLogRateLimitWritesBurstThenOneSummaryPerInterval(t *testing.T) {
	var buf syncBuffer
	clock := &fakeNow{t: time.Unix(1000, 0)}
	f := NewLoggerFactory(zerolog.New(&buf))
	f.limit = newLogLimiter(3, 10*time.Second, clock.now)
	l := f.NewLogger("udpmux")
	for i := range 1000 {
		l.Warnf("Failed to handle decode ICE from %s: %v", "127.0.0.1:"+itoa(i), "bad")
	}
	l.Warn("another shape 1") // its own budget
	if n := len(logLines(t, buf.String())); n != 4 {
		t.Fatalf("%d lines in the first interval, want 3 + 1:\n%s", n, buf.String())
	}
	clock.t = clock.t.Add(10 * time.Second)
	l.Warnf("Failed to handle decode ICE from %s: %v", "127.0.0.1:1", "bad")
	lines := logLines(t, buf.String())
	if len(lines) != 6 {
		t.Fatalf("want a summary and the message in the new interval, got:\n%s", buf.String())
	}
	sum := lines[4]
	if sum["suppressed"] != float64(997) || sum["pion"] != "udpmux" || sum["level"] != "warn" ||
		sum["shape"] != "Failed to handle decode ICE from %s: %v" {
		t.Fatalf("summary line: %v", sum)
	}
	// Plain messages that differ only in digits share a shape.
	for i := range 10 {
		l.Error("dtls read from 10.0.0." + itoa(i) + " failed")
	}
	// Flush reports what is still owed, once.
	f.Flush()
	f.Flush()
	lines = logLines(t, buf.String())
	if len(lines) != 10 || lines[9]["suppressed"] != float64(7) || lines[9]["level"] != "error" {
		t.Fatalf("after flush:\n%s", buf.String())
	}
	got := f.Stats().Snapshot()
	want := []LogCount{
		{Scope: "udpmux", Level: "error", Total: 10, Suppressed: 7},
		{Scope: "udpmux", Level: "warn", Total: 1002, Suppressed: 997},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}

func TestLogRateLimitBoundsItsShapeTable(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1000, 0)}
	lim := newLogLimiter(1, time.Second, clock.now)
	written := 0
	for i := range 5 * maxLogShapes {
		if ok, _ := lim.allow(logKey{scope: "x", level: zerolog.WarnLevel, shape: "shape " + strings.Repeat("a", i%97) + itoa(i)}); ok {
			written++
		}
	}
	if len(lim.shapes) > maxLogShapes+1 {
		t.Fatalf("%d shapes tracked, bound %d", len(lim.shapes), maxLogShapes)
	}
	if written != maxLogShapes+1 {
		t.Fatalf("%d written, want one per tracked shape and one for the overflow", written)
	}
}

func TestTeardownNoiseIsDebug(t *testing.T) {
	var buf syncBuffer
	f := NewLoggerFactory(zerolog.New(&buf).Level(zerolog.InfoLevel))
	l := f.NewLogger("ice")
	l.Warnf("Failed to read from candidate %s: %v", "udp4 host 127.0.0.1:5000", "io: read/write on closed pipe")
	l.Warn("Failed to accept RTP stream is already closed")
	l.Errorf("Failed to write: %v", "write udp 127.0.0.1:1: use of closed network connection")
	l.Warnf("Incoming unhandled RTCP ssrc(%d), OnTrack will not be fired", 42)
	if out := buf.String(); out != "" {
		t.Fatalf("teardown noise above debug:\n%s", out)
	}
	l.Warn("Failed to handshake")
	if !strings.Contains(buf.String(), `"level":"warn"`) {
		t.Fatalf("a real warning was lost: %q", buf.String())
	}
	if s := f.Stats().Snapshot(); len(s) != 1 || s[0].Total != 1 {
		t.Fatalf("demoted messages must not count as warnings: %+v", s)
	}
}
