package requestcard

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// authorize checks an approval or a rejection against the directory as it
// is when the decision arrives: an activity reads it, so the history
// records the answer and replay stays deterministic. The rules that need no
// directory ran before (check); they run again after the read, because
// another decision may have been taken while it waited.
func (r *request) authorize(ctx workflow.Context, kind string, d cards.DecisionInput) error {
	if kind == cards.Cancel {
		return nil
	}
	err := r.execute(ctx, step{summary: "Check approver", local: true, window: r.policy.RetryFor}, a.AuthorizeDecision, nil,
		activities.AuthorizeDecisionInput{
			Kind: kind, Actor: strings.TrimSpace(d.Actor), CardUserID: r.in.UserID, RequestedBy: r.in.RequestedBy,
			CardType: r.status.CardType, ApproverRole: r.policy.ApproverRole,
		})
	if err != nil {
		return err
	}
	if err := r.checkNotExpired(ctx); err != nil {
		return err
	}
	return r.check(kind, d)
}

// lateDecisionChangeID versions refusing a decision whose directory check
// finished at or after the approval timeout. It is a change id of its own,
// not a new version of versionChangeID: that one is taken once, at the
// start, so raising it would keep every running execution on the old path;
// this one is asked only where the behaviour differs (a check that
// finished late), so histories that never get there stay as they were, an
// old history that did replays its approval, and a running execution that
// gets there after the deploy refuses.
const lateDecisionChangeID = "decision-after-expiry"

// checkNotExpired refuses a decision once the approval timeout has passed.
// While a signal's check waits out an outage no timeout timer is pending
// (the main coroutine runs the check), and an update's check can finish in
// the same workflow task as the timer; either way the timeout stands and
// the decision does not count.
func (r *request) checkNotExpired(ctx workflow.Context) error {
	expires := r.status.ExpiresAt
	if expires == nil || workflow.Now(ctx).Before(*expires) {
		return nil
	}
	if workflow.GetVersion(ctx, lateDecisionChangeID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return refuse(cards.ErrAlreadyDecided, "the approval timed out at %s, before the approver check finished", expires.UTC().Format(time.RFC3339))
}
