package notify

import "errors"

// Kinds of failure a caller must tell apart: the Notify activity maps them
// to retry or not, the outbox dispatcher to drop or try again later. Test
// with errors.Is; any other error is PostgreSQL's (the directory read or the
// bookkeeping).
var (
	// ErrInvalid marks an input that can never be sent (an unknown event,
	// no card id, a decided event without its decision): retrying would
	// not help.
	ErrInvalid = errors.New("invalid notification")
	// ErrTemporary marks a temporary failure for some recipients after the
	// others were handled: another attempt sends only to them.
	ErrTemporary = errors.New("temporary e-mail failure")
)

// failure is an error of one of the kinds above whose message is its own:
// the kind is for errors.Is, and the message reads as before, without it.
type failure struct {
	kind error
	msg  string
}

func (f *failure) Error() string { return f.msg }

func (f *failure) Unwrap() error { return f.kind }
