package requestcard

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// awaitDecision waits for enough approvals, a rejection, a cancel, the
// approval timeout, or cancellation of the workflow. It runs one timer at a
// time (the reminder's, then the approval timeout's) and handles decision
// signals on this coroutine as they arrive: no coroutine of their own to
// keep in memory per waiting card.
func (r *request) awaitDecision(ctx workflow.Context) {
	expires := *r.status.ExpiresAt
	var remindAt time.Time
	if r.policy.Notify && r.policy.RemindBefore > 0 {
		remindAt = expires.Add(-r.policy.RemindBefore)
	}
	for {
		r.handleSignals(ctx)
		if r.outcome != nil {
			return
		}
		now := workflow.Now(ctx)
		reminding := !remindAt.IsZero() && now.Before(remindAt)
		deadline := expires
		summary := fmt.Sprintf("Approval timeout (%s): abort if undecided", r.policy.ApprovalTimeout)
		if reminding {
			deadline = remindAt
			summary = fmt.Sprintf("Reminder to approvers (%s before the approval timeout)", r.policy.RemindBefore)
		}
		woken, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      deadline.Sub(now),
			TimerOptions: workflow.TimerOptions{Summary: summary},
		}, func() bool { return r.outcome != nil || r.signalsPending(ctx) })
		switch {
		case err != nil:
			r.decide(ctx, cards.StateAborted, cards.SystemActor, "the workflow was cancelled from Temporal (temporal workflow cancel or the UI)")
			return
		case !woken && reminding:
			remindAt = time.Time{}
			r.notify(ctx, activities.NotifyReminder)
		case !woken:
			r.decide(ctx, cards.StateAborted, cards.SystemActor, fmt.Sprintf("the approval timed out after %s", r.policy.ApprovalTimeout))
			return
		}
	}
}

// signalsPending reports whether a decision signal waits to be handled.
func (r *request) signalsPending(ctx workflow.Context) bool {
	for _, kind := range r.kinds() {
		if workflow.GetSignalChannel(ctx, kind).Len() > 0 {
			return true
		}
	}
	return false
}

// handleSignals applies (or ignores, with the reason) every decision signal
// received so far, in the order of the decision kinds. finish calls it last,
// so that no signal is lost without a trace.
func (r *request) handleSignals(ctx workflow.Context) {
	for _, kind := range r.kinds() {
		ch := workflow.GetSignalChannel(ctx, kind)
		var raw converter.RawValue
		for ch.ReceiveAsync(&raw) {
			r.onSignal(ctx, kind, raw)
		}
	}
	r.handleUnknownSignals(ctx)
}
