package requestcard

import (
	"strings"

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
	return r.check(kind, d)
}
