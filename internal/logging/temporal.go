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
}

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

// Warn logs at warn level with alternating key/value pairs.
func (l *TemporalLogger) Warn(msg string, keyvals ...any) { l.z.Warnw(msg, keyvals...) }

// Error logs at error level with alternating key/value pairs.
func (l *TemporalLogger) Error(msg string, keyvals ...any) { l.z.Errorw(msg, keyvals...) }

// With returns a logger that adds keyvals to every line; the SDK uses it to
// attach workflow and activity ids.
func (l *TemporalLogger) With(keyvals ...any) log.Logger {
	return &TemporalLogger{z: l.z.With(keyvals...)}
}

// Discard is an SDK logger that drops every line: for command-line clients,
// whose output is for people, and for tests.
var Discard log.Logger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))
