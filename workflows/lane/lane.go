// Package lane is what every operation on a card shares (IssueCard,
// ActivateCard, and later DeactivateCard, ReactivateCard, LockCard): one
// workflow id per card (card-<card id>), so that a second operation while
// one is open is refused by Temporal itself; a status query that says what
// the operation is doing; and the retry rule for its steps.
package lane

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// StatusQuery returns the operation's Status while it runs.
const StatusQuery = "status"

// WorkflowID is the lane of a card: every operation on it uses this id.
func WorkflowID(cardID string) string { return cards.LaneWorkflowID(cardID) }

// Status is what an operation reports while it runs and returns at its end:
// the `operation` of the starter's status document.
type Status struct {
	// Type is the workflow type (IssueCard, ActivateCard, ...).
	Type   string `json:"type"`
	CardID string `json:"cardId"`
	// Step says, for people, what the operation does or waits for now.
	Step string `json:"step"`
	// State is the card's state once the operation wrote it.
	State cards.State `json:"state,omitempty"`
	// Station is where the card is produced (IssueCard).
	Station string `json:"station,omitempty"`
	// Reason is why a production failed.
	Reason string `json:"reason,omitempty"`
	// Delivery says where the PIN went (IssueCard), never the PIN.
	Delivery string `json:"pinDelivery,omitempty"`
	// AwaitingApproval is true while the operation (Deactivate, Reactivate,
	// Lock) waits for its approval: only then may Lock card pre-empt it.
	AwaitingApproval bool `json:"awaitingApproval,omitempty"`
	// Aborted says why an operation ended without its transition (its
	// approval rejected or timed out, Lock card pre-empting it); the card's
	// state is unchanged.
	Aborted string `json:"aborted,omitempty"`
	Done    bool   `json:"done"`
}

// PreemptUpdate is the update by which Lock card ends a Deactivate or
// Reactivate that waits for approval. The waiting workflow accepts it only
// while it waits (its validator), runs Lock's own checks (a Lock that would
// be refused pre-empts nothing), closes its approval as aborted, records
// why, and ends; then the Lock starts on the free lane. An update, not a
// cancellation: the check that the operation still waits and the decision
// to end it happen in one place, in the workflow, so an approval that lands
// at the same moment cannot slip a transition in between.
const PreemptUpdate = "preempt"

// Preemption is the Lock card that asks to pre-empt: what its checks need.
type Preemption struct {
	// Type is the pre-empting workflow type (LockCard).
	Type        string `json:"type"`
	Operator    string `json:"operator"`
	Comment     string `json:"comment"`
	Compromised bool   `json:"compromised,omitempty"`
}

// SetupStatus registers the status query over s: handlers first, before
// the operation's first step.
func SetupStatus(ctx workflow.Context, s *Status) error {
	return workflow.SetQueryHandler(ctx, StatusQuery, func() (Status, error) { return *s, nil })
}

// Steps are the worker-side activities of an operation: the card's writes
// and the CA's calls. They are retried until they work, however long an
// outage lasts (a CA or PostgreSQL down is waited for, never turned into a
// half-done operation); business refusals are non-retryable application
// errors and end the operation at once.
func Steps(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
		Summary: summary,
	})
}
