package approval

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// mailWindow is how long an e-mail is retried; a mail failure never fails
// or holds up the approval, but the workflow waits for it before it ends.
const mailWindow = 24 * time.Hour

// mail sends an operation's approval e-mail (unless Options.OwnMail): the
// approvers when it opens and the reminder, the requester its outcome.
// It runs in the background on a disconnected context.
func (p *Process) mail(ctx workflow.Context, event string) {
	if p.opts.OwnMail {
		return
	}
	expires := p.expires
	in := cards.NotifyInput{
		Event: event, CardID: p.req.CardID, UserID: p.req.HolderID, CardType: p.req.CardType, CommonName: p.opts.CommonName,
		RequestedBy: p.req.RequestedBy, ApproverRole: p.pol.ApproverRole, ApprovalsRequired: p.pol.Approvers,
		ExpiresAt: &expires, Operation: p.req.Operation, ApprovalID: p.runID,
	}
	for _, ap := range p.approvals {
		in.Acted = append(in.Acted, ap.Actor)
	}
	if p.outcome != nil && event == cards.NotifyDecided {
		in.Decision = &cards.Decision{To: cards.State(p.outcome.Decision), Actor: p.outcome.Actor, Comment: p.outcome.Comment, At: workflow.Now(ctx)}
	}
	mailCtx, _ := workflow.NewDisconnectedContext(ctx)
	mailCtx = workflow.WithActivityOptions(mailCtx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: mailWindow,
		StartToCloseTimeout:    time.Minute,
		HeartbeatTimeout:       10 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
		Summary:                "E-mail: " + p.req.Operation + " " + event,
	})
	p.pendingMail++
	future := workflow.ExecuteActivity(mailCtx, a.Notify, in)
	workflow.Go(mailCtx, func(ctx workflow.Context) {
		defer func() { p.pendingMail-- }()
		_ = future.Get(ctx, nil)
	})
}

// drainMail waits for the e-mails still being sent.
func (p *Process) drainMail(ctx workflow.Context) {
	waitCtx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(waitCtx, func() bool { return p.pendingMail == 0 })
}
