// Package outage tells infrastructure trouble from everything else and keeps
// track of a PostgreSQL outage: when it began, when it ended, and that it is
// reported once, not once per retried activity attempt.
package outage

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Cause is why an activity attempt failed, as a metric label.
type Cause string

// The causes, from the most to the least specific.
const (
	// DatabaseUnreachable: no connection to PostgreSQL (refused, reset,
	// closed, the server starting up or shutting down).
	DatabaseUnreachable Cause = "database_unreachable"
	// PermissionDenied: PostgreSQL refused a statement because the
	// worker's role lacks a privilege (SQLSTATE 42501). Retried like an
	// outage, since nothing is lost once the grant is fixed, but reported
	// apart: it needs a GRANT, not patience.
	PermissionDenied Cause = "permission_denied"
	// DatabaseError: PostgreSQL answered with an error.
	DatabaseError Cause = "database_error"
	// Timeout: a deadline passed (a query or the activity's own timeout).
	Timeout Cause = "timeout"
	// Other: anything else that is retried.
	Other Cause = "other"
	// Refusal: a non-retryable application error (a business rule); not
	// infrastructure, never retried.
	Refusal Cause = "refusal"
)

// nonRetryable is an error that says whether it may be retried: Temporal's
// ApplicationError does. Matching the behaviour rather than the type keeps
// this package, and the mail code that classifies its database errors with
// it, free of the Temporal SDK.
type nonRetryable interface {
	error
	NonRetryable() bool
}

// Classify names the cause of err; nil has no cause ("").
func Classify(err error) Cause {
	if err == nil {
		return ""
	}
	var refusal nonRetryable
	if errors.As(err, &refusal) && refusal.NonRetryable() {
		return Refusal
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", "57": // connection exception; operator intervention (shutdown, starting up)
			return DatabaseUnreachable
		}
		if pqErr.Code == insufficientPrivilege {
			return PermissionDenied
		}
		return DatabaseError
	}
	if _, ok := deniedObject(err.Error()); ok {
		return PermissionDenied
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return Timeout
	}
	if isConnectionLost(err) {
		return DatabaseUnreachable
	}
	return Other
}

// isConnectionLost recognises the ways lib/pq and the network report a
// connection that is gone, including the texts that reach an activity only
// as a message (an error that crossed Temporal keeps no Go type).
func isConnectionLost(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "bad connection", "broken pipe", "unexpected EOF", "no such host", "i/o timeout", "the database system is"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
