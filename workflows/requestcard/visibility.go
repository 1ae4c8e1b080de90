package requestcard

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// upsertSearchAttributes keeps CardRequestState, CardUserId and CardType
// current for `temporal workflow list` and the UI's filters.
func (r *request) upsertSearchAttributes(ctx workflow.Context) {
	attrs := []temporal.SearchAttributeUpdate{
		StateSearchAttribute.ValueSet(string(r.status.State)),
		UserIDSearchAttribute.ValueSet(r.in.UserID),
	}
	if r.status.CardType != "" {
		// Before the policy is read the card type may be unknown: left
		// unset rather than listed as "".
		attrs = append(attrs, CardTypeSearchAttribute.ValueSet(r.status.CardType))
	}
	err := workflow.UpsertTypedSearchAttributes(ctx, attrs...)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Search attributes not updated", "error", err)
	}
}

// setDetails writes the line the on-call engineer reads on the execution's
// page in the Temporal UI.
func (r *request) setDetails(ctx workflow.Context) {
	var details string
	switch {
	case r.status.Waiting != "":
		details = "**Waiting**: " + r.status.Waiting
	case r.refusal != nil && isInfrastructureFailure(r.refusal):
		details = "Failed (nothing written; request again): " + r.refusal.Error()
	case r.refusal != nil:
		details = "Refused: " + r.refusal.Error()
	case r.status.State == cards.StateRequested && r.outcome == nil:
		details = fmt.Sprintf("**Waiting for approval**: %d of %d approvals; expires at %s",
			len(r.status.Approvals), r.status.ApprovalsRequired, r.status.ExpiresAt.UTC().Format(time.RFC3339))
	case r.outcome != nil:
		details = fmt.Sprintf("**%s** by %s: %s", r.outcome.To, r.outcome.Actor, r.outcome.Comment)
	default:
		details = fmt.Sprintf("Card **%s** (%s, %s)", r.status.State, r.status.CommonName, r.status.UPN)
	}
	workflow.SetCurrentDetails(ctx, details)
}
