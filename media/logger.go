package media

import (
	"fmt"
	"strings"

	"github.com/pion/logging"
	"github.com/rs/zerolog"
)

// LoggerFactory bridges Pion's logging.LoggerFactory to zerolog. Every Pion
// scope ("ice", "dtls", "pc", …) becomes a child logger with a "pion" field.
//
// Levels are mapped so that Pion stays quiet in normal operation: Pion's
// trace and debug go to zerolog's trace, its info to debug (Pion logs
// per-connection details at info), and warn and error keep their level.
type LoggerFactory struct {
	log zerolog.Logger
}

var (
	_ logging.LoggerFactory = LoggerFactory{}
	_ logging.LeveledLogger = pionLogger{}
)

// NewLoggerFactory returns a factory whose loggers write to log.
func NewLoggerFactory(log zerolog.Logger) LoggerFactory {
	return LoggerFactory{log: log}
}

// NewLogger implements logging.LoggerFactory.
func (f LoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With().Str("pion", scope).Logger()}
}

// pionLogger implements logging.LeveledLogger on top of zerolog.
type pionLogger struct {
	log zerolog.Logger
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

func (l pionLogger) Warn(msg string) { l.log.Warn().Msg(msg) }

func (l pionLogger) Warnf(format string, args ...any) {
	e := l.log.Warn()
	if strings.HasPrefix(format, "Incoming unhandled RTCP ssrc") {
		// Receive-only peers send reports from SSRCs no track announces;
		// Pion says so once per SSRC, which is not worth a warning.
		e = l.log.Debug()
	}
	if e.Enabled() {
		e.Msg(fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Error(msg string) { l.log.Error().Msg(msg) }

func (l pionLogger) Errorf(format string, args ...any) {
	if e := l.log.Error(); e.Enabled() {
		e.Msg(fmt.Sprintf(format, args...))
	}
}
