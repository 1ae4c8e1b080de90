package activities

import (
	"context"
	"time"

	"github.com/cardflow/cardflow/internal/store"
)

// OpenApprovalInput is the approval an operation opens (the shared
// approval process): the row the Inbox lists until it closes.
type OpenApprovalInput struct {
	CardID            string     `json:"cardId"`
	Operation         string     `json:"operation"`
	WorkflowID        string     `json:"workflowId"`
	RunID             string     `json:"runId"`
	ApprovalsRequired int        `json:"approvalsRequired"`
	ApproverRole      string     `json:"approverRole"`
	RequestedBy       string     `json:"requestedBy"`
	HolderID          string     `json:"holderId"`
	CardType          string     `json:"cardType"`
	ExpiresAt         *time.Time `json:"expiresAt,omitempty"`
	At                time.Time  `json:"at"`
}

// OpenApproval writes the approval's row (state open). A retry writes
// nothing twice: the row is keyed by the workflow run.
func (a *Activities) OpenApproval(ctx context.Context, in OpenApprovalInput) error {
	_, err := a.Store.OpenApproval(ctx, store.Approval{
		CardID: in.CardID, Operation: in.Operation, WorkflowID: in.WorkflowID, RunID: in.RunID,
		ApprovalsRequired: in.ApprovalsRequired, ApproverRole: in.ApproverRole, RequestedBy: in.RequestedBy,
		HolderID: in.HolderID, CardType: in.CardType, ExpiresAt: in.ExpiresAt, CreatedAt: in.At,
	})
	return err
}

// RecordVoteInput is one vote the workflow accepted.
type RecordVoteInput struct {
	CardID     string    `json:"cardId"`
	WorkflowID string    `json:"workflowId"`
	RunID      string    `json:"runId"`
	Kind       string    `json:"kind"`
	Actor      string    `json:"actor"`
	Comment    string    `json:"comment"`
	At         time.Time `json:"at"`
	// Token is the idempotency key: the update's id (or the signal's
	// position in the history), so a retried write finds its row.
	Token string `json:"token"`
}

// RecordVote writes an accepted approve, reject or postpone as an audit
// row in card_events (event approve, reject, postpone) and on the
// approval's row, in one statement, once.
func (a *Activities) RecordVote(ctx context.Context, in RecordVoteInput) error {
	_, err := a.Store.RecordVote(ctx, store.Vote{
		WorkflowID: in.WorkflowID, RunID: in.RunID, CardID: in.CardID, Kind: in.Kind,
		Actor: in.Actor, Comment: in.Comment, At: in.At, Token: in.Token,
	})
	return err
}

// CloseApprovalInput ends an approval with its outcome.
type CloseApprovalInput struct {
	WorkflowID string    `json:"workflowId"`
	RunID      string    `json:"runId"`
	State      string    `json:"state"`
	At         time.Time `json:"at"`
}

// CloseApproval sets the approval's final state (approved, rejected,
// timedOut, aborted), once.
func (a *Activities) CloseApproval(ctx context.Context, in CloseApprovalInput) error {
	return a.Store.CloseApproval(ctx, in.WorkflowID, in.RunID, in.State, in.At)
}
