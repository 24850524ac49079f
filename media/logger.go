package media

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/logging"
	"github.com/rs/zerolog"
)

// LoggerFactory bridges Pion's logging.LoggerFactory to zerolog. Every Pion
// scope ("ice", "dtls", "pc", …) becomes a child logger with a "pion" field.
//
// Levels are mapped so that Pion stays quiet in normal operation: Pion's
// trace and debug go to zerolog's trace, its info to debug (Pion logs
// per-connection details at info), and warn and error keep their level,
// except for the teardown messages isTeardownNoise recognises, which go to
// debug.
//
// Pion warns once per packet it cannot use, and anyone who can send UDP to
// the media port chooses how many such packets arrive. So every warning and
// error passes a rate limit (logLimiter): per scope, level and message shape
// the first few of an interval are written, the rest are counted, and one
// summary line per interval tells how many were suppressed. LogStats counts
// them all for /metrics.
type LoggerFactory struct {
	log   zerolog.Logger
	limit *logLimiter
	stats *LogStats
}

var (
	_ logging.LoggerFactory = LoggerFactory{}
	_ logging.LeveledLogger = pionLogger{}
)

// Default rate limit of the bridge: per message shape, logBurst lines per
// logInterval.
const (
	logBurst    = 3
	logInterval = 10 * time.Second
)

// NewLoggerFactory returns a factory whose loggers write to log with the
// default rate limit, counting into a new LogStats.
func NewLoggerFactory(log zerolog.Logger) LoggerFactory {
	return LoggerFactory{
		log:   log,
		limit: newLogLimiter(logBurst, logInterval, time.Now),
		stats: NewLogStats(),
	}
}

// NewLogger implements logging.LoggerFactory.
func (f LoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With().Str("pion", scope).Logger(), scope: scope, f: f}
}

// Stats returns the counters of the warnings and errors this factory's
// loggers were given.
func (f LoggerFactory) Stats() *LogStats { return f.stats }

// Flush writes the summary lines of messages suppressed in intervals that
// have not been summarised yet, so that the end of a flood is reported when
// the engine closes.
func (f LoggerFactory) Flush() {
	for _, s := range f.limit.flush() {
		f.summary(s)
	}
}

// summary writes one summary line for a suppressed shape.
func (f LoggerFactory) summary(s suppressed) {
	f.log.WithLevel(s.key.level).Str("pion", s.key.scope).Str("shape", s.key.shape).
		Uint64("suppressed", s.count).Dur("interval", f.limit.interval).
		Msg("pion messages of this shape suppressed by the log rate limit")
}

// pionLogger implements logging.LeveledLogger on top of zerolog.
type pionLogger struct {
	log   zerolog.Logger
	scope string
	f     LoggerFactory
}

func (l pionLogger) Trace(msg string) { l.log.Trace().Msg(msg) }

func (l pionLogger) Tracef(format string, args ...any) {
	if e := l.log.Trace(); e.Enabled() {
		e.Msg(fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Debug(msg string) { l.log.Trace().Msg(msg) }

func (l pionLogger) Debugf(format string, args ...any) {
	if e := l.log.Trace(); e.Enabled() {
		e.Msg(fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Info(msg string) { l.log.Debug().Msg(msg) }

func (l pionLogger) Infof(format string, args ...any) {
	if e := l.log.Debug(); e.Enabled() {
		e.Msg(fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Warn(msg string) { l.emit(zerolog.WarnLevel, msgShape(msg), msg) }

func (l pionLogger) Warnf(format string, args ...any) {
	l.emit(zerolog.WarnLevel, format, fmt.Sprintf(format, args...))
}

func (l pionLogger) Error(msg string) { l.emit(zerolog.ErrorLevel, msgShape(msg), msg) }

func (l pionLogger) Errorf(format string, args ...any) {
	l.emit(zerolog.ErrorLevel, format, fmt.Sprintf(format, args...))
}

// emit writes a Pion warning or error: demoted to debug when it is teardown
// noise, else counted and passed through the rate limit. shape is the
// format string, or for plain messages the message without its digits.
func (l pionLogger) emit(level zerolog.Level, shape, msg string) {
	if demoted(shape, msg) {
		l.log.Debug().Msg(msg)
		return
	}
	ok, prev := l.f.limit.allow(logKey{scope: l.scope, level: level, shape: shape})
	l.f.stats.add(l.scope, level.String(), !ok)
	if prev.count > 0 {
		l.f.summary(prev)
	}
	if ok {
		l.log.WithLevel(level).Msg(msg)
	}
}

// demoted reports whether a Pion warning or error is not worth its level:
// receive-only peers send reports from SSRCs no track announces, which Pion
// reports once per SSRC; and teardown noise.
func demoted(shape, msg string) bool {
	return strings.HasPrefix(shape, "Incoming unhandled RTCP ssrc") || isTeardownNoise(msg)
}

// teardownMarkers are the texts of the errors a connection, stream or
// transport returns once it has been closed. A Pion message that carries one
// says that something was closed under a reader or writer, which is what
// leaving a call or shutting down does.
var teardownMarkers = [...]string{
	"use of closed network connection",
	"io: read/write on closed pipe",
	"stream is already closed",
	"connection closed",
	"the agent is closed",
	"ice: agent is closed",
	"transport is closed",
	"conn is closed",
	"buffer: closed",
	"closed pipe",
}

// isTeardownNoise reports whether msg is an error about a closed connection.
func isTeardownNoise(msg string) bool {
	for _, m := range teardownMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// msgShape returns msg without its digits, cut to 80 bytes: messages that
// differ only in addresses, ports or counters share a shape.
func msgShape(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg) && b.Len() < 80; i++ {
		if c := msg[i]; c < '0' || c > '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
