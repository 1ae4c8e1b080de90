package requestcard

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// firstTry is how long a step is tried before the workflow says, in its
// status and current details, that it waits for infrastructure.
const firstTry = 10 * time.Second

// step is one activity call that must survive outages.
type step struct {
	// summary names the step for people: activity summaries in the UI,
	// the status's waiting line, and error messages.
	summary string
	// local runs the first try as a local activity (the reads, and from
	// version 5 the writes: cheap, one marker when all goes well, inside
	// a workflow task that runs anyway).
	local bool
	// window is how long infrastructure errors are retried after the first
	// try; zero retries until it works.
	window time.Duration
	// windowFromPolicy takes the window from the policy, resolving it
	// first if the failing step was the one meant to resolve it.
	windowFromPolicy bool
	// waitForCancellation lets a cancelled attempt finish before the
	// workflow goes on (a cancelled insert may still commit). A local
	// first try cannot wait for its cancellation, so it runs on a
	// disconnected context: it is not cancelled at all, and the workflow
	// learns whether the write happened.
	waitForCancellation bool
}

// execute runs s: a short first try, then, if that failed on anything but a
// business rule, the same activity as a regular activity retried with
// backoff for s.window. A retrying regular activity is what the starter and
// the UI show as pending with its last failure, so people see what the
// request waits for; the status's waiting line says it too.
func (r *request) execute(ctx workflow.Context, s step, activity any, result any, args ...any) error {
	var err error
	if s.local {
		tryCtx := ctx
		if s.waitForCancellation {
			tryCtx, _ = workflow.NewDisconnectedContext(ctx)
		}
		local := workflow.WithLocalActivityOptions(tryCtx, workflow.LocalActivityOptions{
			ScheduleToCloseTimeout: firstTry,
			StartToCloseTimeout:    5 * time.Second,
			RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second},
		})
		err = workflow.ExecuteLocalActivity(local, activity, args...).Get(tryCtx, result)
	} else {
		err = workflow.ExecuteActivity(r.activityOptions(ctx, s, firstTry), activity, args...).Get(ctx, result)
	}
	if !isInfrastructure(err) {
		return err
	}
	if s.windowFromPolicy {
		s.window = r.retryWindow(ctx)
	}
	r.status.Waiting = fmt.Sprintf("%s failed: %s; retrying until it works (up to %s)", s.summary, failureMessage(err), windowText(s.window))
	r.logger(ctx).Warn("Waiting for infrastructure", "step", s.summary, "error", failureMessage(err))
	r.setDetails(ctx)
	err = workflow.ExecuteActivity(r.activityOptions(ctx, s, s.window), activity, args...).Get(ctx, result)
	r.status.Waiting = ""
	r.setDetails(ctx)
	if isInfrastructure(err) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s did not succeed within %s: %s", s.summary, windowText(s.window), failureMessage(err)),
			cards.ErrInfrastructureUnavailable, err)
	}
	return err
}

func (r *request) activityOptions(ctx workflow.Context, s step, window time.Duration) workflow.Context {
	opts := workflow.ActivityOptions{
		ScheduleToCloseTimeout: window,
		StartToCloseTimeout:    30 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second},
		Summary:                s.summary,
		WaitForCancellation:    s.waitForCancellation,
	}
	if window > 0 && window < opts.StartToCloseTimeout {
		opts.StartToCloseTimeout = window
	}
	return workflow.WithActivityOptions(ctx, opts)
}

// isInfrastructure reports whether err is worth retrying longer: anything
// but success, cancellation and a non-retryable application error (the
// business refusals, a mapping that cannot work).
func isInfrastructure(err error) bool {
	if err == nil || temporal.IsCanceledError(err) {
		return false
	}
	var appErr *temporal.ApplicationError
	return !(errors.As(err, &appErr) && appErr.NonRetryable())
}

// failureMessage is the innermost message of an activity failure: "dial tcp
// ...: connection refused" rather than the SDK's wrapping.
func failureMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

func windowText(window time.Duration) string {
	if window <= 0 {
		return "no limit"
	}
	return window.String()
}
