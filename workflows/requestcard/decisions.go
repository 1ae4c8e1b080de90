package requestcard

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
)

func refuse(errType, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), errType)
}

// check is the one rulebook for decisions: update validators refuse with its
// error, signal handlers ignore with it.
func (r *request) check(kind string, d cards.DecisionInput) error {
	actor := strings.TrimSpace(d.Actor)
	switch {
	case actor == "":
		return refuse(cards.ErrInvalidDecision, "%s needs an actor: the name of who decides", kind)
	case r.refusal != nil:
		return refuse(cards.ErrAlreadyDecided, "the request was refused and no card exists")
	case r.outcome != nil:
		return refuse(cards.ErrAlreadyDecided, "the card is already %s", r.outcome.To)
	case r.status.State.Final():
		return refuse(cards.ErrAlreadyDecided, "the card is already %s", r.status.State)
	case !r.persisted:
		return refuse(cards.ErrNotAllowed, "the card is not persisted yet; send the %s again once its state is requested", kind)
	}
	switch kind {
	case cards.Approve, cards.Reject:
		// The one rule set (internal/approvalrules): not the holder, not
		// the requester, each approver once, a reason for a rejection.
		c := approvalrules.Case{Operation: "request", RequestedBy: r.in.RequestedBy, HolderID: r.in.UserID}
		for _, approval := range r.status.Approvals {
			c.Approved = append(c.Approved, approval.Actor)
		}
		if refusal := approvalrules.Vote(c, kind, actor, d.Comment); refusal != nil {
			return refuse(refusal.Type, "%s", refusal.Message)
		}
	case cards.Cancel:
		if actor != r.in.RequestedBy {
			return refuse(cards.ErrNotAllowed, "only the requester (%s) may cancel this request, not %s", r.in.RequestedBy, actor)
		}
	case approvalrules.Postpone:
		// Version 3 only, and only before the approval opens (then the
		// shared process takes the votes).
		return refuse(cards.ErrNotAllowed, "the card is %s; nothing waits for approval", r.status.State)
	default:
		return refuse(cards.ErrInvalidDecision, "unknown decision %q", kind)
	}
	return nil
}

// apply records a decision that check accepted.
func (r *request) apply(ctx workflow.Context, kind string, d cards.DecisionInput) {
	actor := strings.TrimSpace(d.Actor)
	switch kind {
	case cards.Approve:
		r.status.Approvals = append(r.status.Approvals, cards.Approval{Actor: actor, Comment: d.Comment, At: workflow.Now(ctx)})
		r.evaluate(ctx)
	case cards.Reject:
		r.decide(ctx, cards.StateRejected, actor, d.Comment)
	case cards.Cancel:
		comment := d.Comment
		if comment == "" {
			comment = "cancelled by the requester"
		}
		r.decide(ctx, cards.StateAborted, actor, comment)
	}
	r.setDetails(ctx)
}

// evaluate approves the card once enough distinct approvers agreed.
func (r *request) evaluate(ctx workflow.Context) {
	if r.outcome != nil || !r.persisted || r.status.State != cards.StateRequested {
		return
	}
	if n := len(r.status.Approvals); n > 0 && n >= r.policy.ApproversRequired {
		last := r.status.Approvals[n-1]
		comment := last.Comment
		if n > 1 {
			names := make([]string, 0, n)
			for _, approval := range r.status.Approvals {
				names = append(names, approval.Actor)
			}
			comment = strings.TrimSpace(fmt.Sprintf("approved by %s. %s", strings.Join(names, ", "), last.Comment))
		}
		r.decide(ctx, cards.StateApproved, last.Actor, comment)
	}
}

// decide sets the outcome; the first decision wins.
func (r *request) decide(ctx workflow.Context, to cards.State, actor, comment string) {
	if r.outcome != nil {
		return
	}
	r.outcome = &cards.Decision{To: to, Actor: actor, Comment: comment, At: workflow.Now(ctx)}
}
