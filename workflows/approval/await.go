package approval

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// await waits for the outcome with one timer at a time (the reminder's,
// then the timeout's), handling vote signals (Options.Signals) and the
// caller's own input on this coroutine, then closes the row.
func (p *Process) await(ctx workflow.Context) (Outcome, error) {
	if p.closed && p.outcome != nil {
		return *p.outcome, nil
	}
	var remindAt time.Time
	if p.pol.RemindBefore > 0 && (p.opts.Remind != nil || !p.opts.OwnMail) {
		remindAt = p.expires.Add(-p.pol.RemindBefore)
	}
	for {
		p.handleSignals(ctx)
		if p.opts.Pending != nil && p.opts.Pending() && p.opts.Handle != nil {
			p.opts.Handle(ctx)
		}
		if p.outcome == nil && p.opts.Stop != nil && p.opts.Stop() {
			p.decide(Aborted, cards.SystemActor, "the operation was ended while it waited for approval")
		}
		if p.outcome != nil {
			break
		}
		now := workflow.Now(ctx)
		reminding := !remindAt.IsZero() && now.Before(remindAt)
		deadline := p.expires
		summary := fmt.Sprintf("Approval timeout (%s): abort if undecided", p.pol.Timeout)
		if reminding {
			deadline = remindAt
			summary = fmt.Sprintf("Reminder to approvers (%s before the approval timeout)", p.pol.RemindBefore)
		}
		woken, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      deadline.Sub(now),
			TimerOptions: workflow.TimerOptions{Summary: summary},
		}, func() bool {
			return p.outcome != nil || p.signalsPending(ctx) || (p.opts.Pending != nil && p.opts.Pending()) || (p.opts.Stop != nil && p.opts.Stop())
		})
		switch {
		case err != nil:
			p.decide(Aborted, cards.SystemActor, "the workflow was cancelled from Temporal (temporal workflow cancel or the UI)")
		case !woken && reminding:
			remindAt = time.Time{}
			p.remind(ctx)
		case !woken:
			p.decide(TimedOut, cards.SystemActor, fmt.Sprintf("the approval timed out after %s", p.pol.Timeout))
		}
	}
	p.close(ctx)
	p.drainMail(ctx)
	return *p.outcome, nil
}

// remind sends the reminder to the approvers who have not approved yet.
func (p *Process) remind(ctx workflow.Context) {
	acted := make([]string, 0, len(p.approvals))
	for _, ap := range p.approvals {
		acted = append(acted, ap.Actor)
	}
	if p.opts.Remind != nil {
		p.opts.Remind(ctx, acted)
		return
	}
	p.mail(ctx, cards.NotifyReminder)
}
