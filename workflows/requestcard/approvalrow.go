package requestcard

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/workflows/approval"
)

// Version 3 writes the approvals row with the card's own statements, not
// with local activities of the approval process (approval.Options'
// RowWrittenByCaller): opened by PersistCard with the card, closed by
// TransitionCard with the decision. Two local activities (and their
// history events) fewer per approval card; each vote stays its own audit
// row, written by the process.

// openApproval is the approvals row PersistCard opens with the card:
// version 3 with an approval step only.
func (r *request) openApproval(ctx workflow.Context, at time.Time) *activities.OpenApprovalInput {
	if r.version < 3 || !r.policy.ApprovalRequired || r.status.ExpiresAt == nil {
		return nil
	}
	expires := *r.status.ExpiresAt
	return &activities.OpenApprovalInput{
		CardID: r.in.CardID, Operation: approval.OperationRequest, WorkflowID: r.status.WorkflowID,
		RunID: workflow.GetInfo(ctx).WorkflowExecution.RunID, ApprovalsRequired: max(r.policy.ApproversRequired, 1),
		ApproverRole: r.policy.ApproverRole, RequestedBy: r.in.RequestedBy, HolderID: r.in.UserID, CardType: r.status.CardType,
		ExpiresAt: &expires, At: at,
	}
}

// closeApproval is the approvals row's close TransitionCard writes with the
// decision: the process's outcome (timedOut, which the card shows as
// aborted, included), or aborted when the process never ran (the workflow
// was cancelled before the card was known to exist: the insert, and the
// row with it, may have committed). Nil when no row was opened.
func (r *request) closeApproval(ctx workflow.Context) *activities.CloseApprovalInput {
	if r.version < 3 || !r.policy.ApprovalRequired {
		return nil
	}
	state := approval.Aborted
	if r.approvalDecision != "" {
		state = r.approvalDecision
	}
	info := workflow.GetInfo(ctx).WorkflowExecution
	return &activities.CloseApprovalInput{WorkflowID: info.ID, RunID: info.RunID, State: state, At: r.outcome.At}
}
