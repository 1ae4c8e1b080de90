package requestcard

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// notifyWindow is how long a notification is retried (an SMTP server down
// for maintenance, a 4xx); the workflow stays open until it is sent or given up.
const notifyWindow = 24 * time.Hour

// notify sends the e-mails of event (the reminder: the requested and
// decided e-mails are queued with the card's writes, queuedNotification)
// without holding up the card: the
// activity runs in the background on a disconnected context (an aborted
// card is still announced), its outcome lands in the status, and finish
// waits for it. A failure is recorded, never returned.
func (r *request) notify(ctx workflow.Context, event string) {
	if !r.policy.Notify {
		return
	}
	in := r.notifyInput(event)
	notifyCtx, _ := workflow.NewDisconnectedContext(ctx)
	notifyCtx = workflow.WithActivityOptions(notifyCtx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: notifyWindow,
		StartToCloseTimeout:    time.Minute,
		// The activity heartbeats per recipient: a worker that dies mid-send
		// is noticed in seconds, not at the end of StartToClose.
		HeartbeatTimeout: 10 * time.Second,
		RetryPolicy:      &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
		Summary:          "E-mail: " + event,
	})
	r.pendingNotifications++
	future := workflow.ExecuteActivity(notifyCtx, a.Notify, in)
	workflow.Go(notifyCtx, func(ctx workflow.Context) {
		defer func() { r.pendingNotifications-- }()
		var result activities.NotifyResult
		if err := future.Get(ctx, &result); err != nil {
			r.logger(ctx).Warn("Notification not sent", "event", event, "error", failureMessage(err))
			r.status.Notifications = append(r.status.Notifications, cards.Notification{
				Event: event, At: workflow.Now(ctx), Outcome: "failed: " + failureMessage(err),
			})
			return
		}
		r.status.Notifications = append(r.status.Notifications, result.Notifications...)
	})
}

// notifyInput is what the e-mails of event say, from the status as it is now.
func (r *request) notifyInput(event string) activities.NotifyInput {
	in := activities.NotifyInput{
		Event: event, CardID: r.in.CardID, UserID: r.in.UserID, CardType: r.status.CardType,
		CommonName: r.status.CommonName, UPN: r.status.UPN, RequestedBy: r.in.RequestedBy,
		ApproverRole: r.policy.ApproverRole, ApprovalsRequired: r.status.ApprovalsRequired,
		ExpiresAt: r.status.ExpiresAt, Decision: r.status.Decision,
	}
	for _, approval := range r.status.Approvals {
		in.Acted = append(in.Acted, approval.Actor)
	}
	return in
}

// queuedNotification is the e-mail event a card write queues in the same
// transaction (an outbox), or nil when e-mail is off.
func (r *request) queuedNotification(event string) *activities.NotifyInput {
	if !r.policy.Notify {
		return nil
	}
	in := r.notifyInput(event)
	return &in
}
