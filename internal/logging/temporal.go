package logging

import (
	"log/slog"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// TemporalLogger adapts zap to the SDK's log.Logger, so that the SDK's lines
// (and workflow.GetLogger, activity.GetLogger) share the worker's format.
type TemporalLogger struct {
	z *zap.SugaredLogger
	// demote, when set and true for a line, writes it at debug level: a
	// per-attempt error line about an outage that is already reported.
	demote Demoter
}

// Demoter decides whether an SDK line at warn or error level is noise that
// belongs at debug level; keyvals are the line's own, as the SDK passes them.
type Demoter func(msg string, keyvals []any) bool

var (
	_ log.Logger     = (*TemporalLogger)(nil)
	_ log.WithLogger = (*TemporalLogger)(nil)
)

// NewTemporalLogger wraps z for the SDK.
func NewTemporalLogger(z *zap.Logger) *TemporalLogger {
	// Skip the adapter's own frame so caller points at the SDK or workflow code.
	return &TemporalLogger{z: z.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

// Debug logs at debug level with alternating key/value pairs.
func (l *TemporalLogger) Debug(msg string, keyvals ...any) { l.z.Debugw(msg, keyvals...) }

// Info logs at info level with alternating key/value pairs.
func (l *TemporalLogger) Info(msg string, keyvals ...any) { l.z.Infow(msg, keyvals...) }

// Warn logs at warn level with alternating key/value pairs (debug when demoted).
func (l *TemporalLogger) Warn(msg string, keyvals ...any) {
	if l.demote != nil && l.demote(msg, keyvals) {
		l.z.Debugw(msg, keyvals...)
		return
	}
	l.z.Warnw(msg, keyvals...)
}

// Error logs at error level with alternating key/value pairs (debug when demoted).
func (l *TemporalLogger) Error(msg string, keyvals ...any) {
	if l.demote != nil && l.demote(msg, keyvals) {
		l.z.Debugw(msg, keyvals...)
		return
	}
	l.z.Errorw(msg, keyvals...)
}

// With returns a logger that adds keyvals to every line; the SDK uses it to
// attach workflow and activity ids.
func (l *TemporalLogger) With(keyvals ...any) log.Logger {
	return &TemporalLogger{z: l.z.With(keyvals...), demote: l.demote}
}

// WithDemoter returns a logger that writes the lines d picks at debug level:
// during a reported outage, the SDK's "Activity error." for every retried
// attempt would otherwise bury the one line that matters.
func (l *TemporalLogger) WithDemoter(d Demoter) *TemporalLogger {
	return &TemporalLogger{z: l.z, demote: d}
}

// ErrorValue returns the error among an SDK line's keyvals (key "Error" or
// "error"), or nil.
func ErrorValue(keyvals []any) error {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if k, ok := keyvals[i].(string); ok && (k == "Error" || k == "error") {
			if err, ok := keyvals[i+1].(error); ok {
				return err
			}
		}
	}
	return nil
}

// Discard is an SDK logger that drops every line: for command-line clients,
// whose output is for people, and for tests.
var Discard log.Logger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))
