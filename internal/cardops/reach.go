package cardops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// UnreachableError says that Temporal did not answer for longer than the
// client was told to wait (Client.TemporalWait), or until the caller's
// deadline passed while it was unreachable.
type UnreachableError struct {
	Address string
	Waited  time.Duration
	Cause   string
}

func (e *UnreachableError) Error() string {
	if e.Waited <= 0 {
		return fmt.Sprintf("Temporal at %s is unreachable (%s): check TEMPORAL_ADDRESS and that the server is running", e.Address, e.Cause)
	}
	return fmt.Sprintf("Temporal at %s was unreachable for %s (%s); gave up (check TEMPORAL_ADDRESS and that the server is running; a request already sent is kept by Temporal and resumes when it is back)",
		e.Address, e.Waited.Round(time.Second), e.Cause)
}

// supervisor runs beside one operation: it probes Temporal every second,
// says while Temporal is unreachable how long it keeps trying, cancels the
// operation when that lasts longer than TemporalWait, and otherwise reports
// what the request waits for (watch).
type supervisor struct {
	c      *Client
	wid    string
	cancel context.CancelCauseFunc
	stopCh chan struct{}
	done   chan struct{}

	mu sync.Mutex
	// kick cancels the current attempt (see retrying).
	kick context.CancelCauseFunc
	// down is when Temporal stopped answering (zero while it answers);
	// cause is why.
	down  time.Time
	cause string
}

// errReconnected cancels an attempt that was under way while Temporal was
// unreachable, so that it is sent again now that Temporal answers.
var errReconnected = errors.New("reconnected: Temporal answers again, the call is sent again")

func (s *supervisor) setKick(cancel context.CancelCauseFunc) {
	s.mu.Lock()
	s.kick = cancel
	s.mu.Unlock()
}

// supervise starts a supervisor for the operation on workflowID; the
// returned context ends when the caller's does or when Temporal stays
// unreachable too long (its cause is then an *UnreachableError).
func (c *Client) supervise(ctx context.Context, workflowID string) (context.Context, *supervisor) {
	opCtx, cancel := context.WithCancelCause(ctx)
	s := &supervisor{c: c, wid: workflowID, cancel: cancel, stopCh: make(chan struct{}), done: make(chan struct{})}
	go s.run(opCtx)
	return opCtx, s
}

// stop ends the supervisor and returns what ended the operation, if it was
// Temporal being unreachable: err itself otherwise.
func (s *supervisor) stop(opCtx context.Context, err error) error {
	close(s.stopCh)
	<-s.done
	s.cancel(nil)
	if err == nil {
		return nil
	}
	var unreachable *UnreachableError
	if errors.As(context.Cause(opCtx), &unreachable) {
		return unreachable
	}
	s.mu.Lock()
	down, cause := s.down, s.cause
	s.mu.Unlock()
	if !down.IsZero() && opCtx.Err() != nil {
		// The caller's deadline passed while Temporal was unreachable.
		return &UnreachableError{Address: s.c.Address, Waited: time.Since(down), Cause: cause}
	}
	return err
}

func (s *supervisor) run(ctx context.Context) {
	defer close(s.done)
	started := time.Now()
	lastLine, lastSaid := "", time.Time{}
	// say prints a line when it is new; the unreachable line, whose
	// countdown changes every second, every 5 seconds.
	say := func(line string) {
		unreachable := strings.Contains(line, "is unreachable")
		if s.c.Progress == nil || line == lastLine || unreachable && strings.Contains(lastLine, "is unreachable") && time.Since(lastSaid) < 5*time.Second {
			return
		}
		s.c.Progress(line)
		lastLine, lastSaid = line, time.Now()
	}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	nextWatch := started.Add(3 * time.Second)
	var firstFailure time.Time
	for {
		select {
		case <-ticker.C:
		case <-s.stopCh:
			return
		case <-ctx.Done():
			return
		}
		cause := s.c.probe(ctx)
		if cause != "" && firstFailure.IsZero() {
			// One failed probe may be a hiccup; two in a row are an outage,
			// dated from the first.
			firstFailure = time.Now()
			continue
		}
		if cause != "" {
			s.mu.Lock()
			if s.down.IsZero() {
				s.down = firstFailure
			}
			down := s.down
			s.cause = cause
			s.mu.Unlock()
			left := s.c.temporalWait() - time.Since(down)
			if left <= 0 {
				s.cancel(&UnreachableError{Address: s.c.Address, Waited: time.Since(down), Cause: cause})
				return
			}
			say(fmt.Sprintf("waiting: Temporal at %s is unreachable (%s); retrying, giving up in %s", s.c.Address, cause, left.Round(time.Second)))
			continue
		}
		firstFailure = time.Time{}
		s.mu.Lock()
		wasDown := s.down
		s.down, s.cause = time.Time{}, ""
		s.mu.Unlock()
		if !wasDown.IsZero() {
			s.mu.Lock()
			if s.kick != nil {
				s.kick(errReconnected)
			}
			s.mu.Unlock()
			say(fmt.Sprintf("Temporal at %s answers again (after %s)", s.c.Address, time.Since(wasDown).Round(time.Second)))
		}
		if s.wid != "" && time.Now().After(nextWatch) {
			nextWatch = time.Now().Add(2 * time.Second)
			say(s.c.waitingLine(ctx, s.wid))
		}
	}
}

// probe returns why Temporal does not answer, or "" when it does. Down
// means no TCP connection or a health check that fails outright; a slow
// answer (a busy server) is not an outage.
func (c *Client) probe(parent context.Context) string {
	if parent.Err() != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(parent, 2*time.Second)
	defer cancel()
	_, err := c.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	if err == nil || parent.Err() != nil {
		return ""
	}
	if deadline, ok := parent.Deadline(); ok && !time.Now().Before(deadline) {
		return "" // the caller's deadline, seen by gRPC a moment before the context
	}
	cause := UnreachableCause(c.Address, err)
	if cause == slowAnswer {
		return ""
	}
	return cause
}

const slowAnswer = "no answer in time"

// UnreachableCause names why Temporal did not answer: the TCP error when the
// address does not accept connections ("connection refused"), else the
// error of the call.
func UnreachableCause(address string, err error) string {
	if address != "" {
		conn, dialErr := net.DialTimeout("tcp", address, time.Second)
		if dialErr != nil {
			var opErr *net.OpError
			if errors.As(dialErr, &opErr) && opErr.Err != nil {
				return opErr.Err.Error()
			}
			return dialErr.Error()
		}
		_ = conn.Close()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), status.Code(errors.Unwrap(err)) == codes.DeadlineExceeded, status.Code(err) == codes.DeadlineExceeded:
		return slowAnswer
	case strings.Contains(err.Error(), "connection refused"):
		return "connect: connection refused"
	}
	return err.Error()
}

// IsTransient reports whether err is Temporal being briefly unavailable (a
// restart, a lost connection) rather than an answer: worth the same call
// again, which the stable update id makes safe.
func IsTransient(err error) bool {
	var unavailable *serviceerror.Unavailable
	var nsNotFound *serviceerror.NamespaceNotFound
	var notReady *serviceerror.NamespaceUnavailable
	var exhausted *serviceerror.ResourceExhausted
	var internal *serviceerror.Internal
	var updateTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &nsNotFound) || errors.As(err, &notReady) ||
		errors.As(err, &exhausted) || errors.As(err, &internal) || errors.As(err, &updateTimeout) || errors.As(err, &deadline)
}
