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
	Done     bool   `json:"done"`
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
