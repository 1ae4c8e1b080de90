package approval

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// firstTry is how long a step runs as a local activity (cheap: no events
// of its own when all goes well) before it becomes a regular activity
// retried with backoff, which the UI shows as pending with its failure.
const firstTry = 10 * time.Second

// read runs a directory read: a short local try, then retried for
// Options.RetryFor, after which the vote is refused as
// InfrastructureUnavailable (it can be sent again).
func (p *Process) read(ctx workflow.Context, summary string, activity any, args ...any) error {
	return p.run(ctx, summary, p.opts.RetryFor, activity, args...)
}

// write runs a write of the approval's rows: retried until it works (an
// outage is waited for; the writes are idempotent).
func (p *Process) write(ctx workflow.Context, summary string, activity any, args ...any) error {
	return p.run(ctx, summary, 0, activity, args...)
}

func (p *Process) run(ctx workflow.Context, summary string, window time.Duration, activity any, args ...any) error {
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: firstTry,
		StartToCloseTimeout:    5 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second},
	})
	err := workflow.ExecuteLocalActivity(local, activity, args...).Get(ctx, nil)
	if !infrastructure(err) {
		return err
	}
	opts := workflow.ActivityOptions{
		ScheduleToCloseTimeout: window,
		StartToCloseTimeout:    30 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		Summary:                summary,
	}
	if window > 0 && window < opts.StartToCloseTimeout {
		opts.StartToCloseTimeout = window
	}
	if p.opts.Waiting != nil {
		limit := "no limit"
		if window > 0 {
			limit = window.String()
		}
		p.opts.Waiting(ctx, fmt.Sprintf("%s failed: %s; retrying until it works (up to %s)", summary, innermost(err), limit))
		defer p.opts.Waiting(ctx, "")
	}
	err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), activity, args...).Get(ctx, nil)
	if infrastructure(err) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s did not succeed within %s: %v", summary, window, err),
			cards.ErrInfrastructureUnavailable, err)
	}
	return err
}

// infrastructure reports whether err is worth retrying longer: anything
// but success, cancellation and a business refusal.
func infrastructure(err error) bool {
	if err == nil || temporal.IsCanceledError(err) {
		return false
	}
	var appErr *temporal.ApplicationError
	return !(errors.As(err, &appErr) && appErr.NonRetryable())
}

// innermost is the innermost message of an activity failure: "dial tcp
// ...: connection refused" rather than the SDK's wrapping.
func innermost(err error) string {
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}
