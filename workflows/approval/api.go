package approval

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// The API below is what an operation's workflow uses: Deactivate,
// Reactivate and Lock card call it; Request card runs on it from version 3
// of its change id (options.go adds OpenWith and Options, for callers that
// also take decisions as signals or write the outcome themselves).

// Operation names what is being approved: the Inbox's and the approvals
// table's operation column.
const (
	OperationRequest      = "request"
	OperationDeactivation = "deactivation"
	OperationReactivation = "reactivation"
	OperationLock         = "lock"
)

// Update names: decisions are updates (answered), on whichever workflow
// holds the card's open approval.
const (
	ApproveUpdate  = cards.Approve // "approve"
	RejectUpdate   = cards.Reject  // "reject"
	PostponeUpdate = "postpone"
)

// Policy is an operation's approval settings, from the card type's
// approval, deactivation.approval, reactivation.approval or lock.approval
// block (policy.Approval), resolved by an activity so the history holds it.
type Policy struct {
	Required     bool          `json:"required"`
	Approvers    int           `json:"approvers"`
	ApproverRole string        `json:"approverRole"`
	Timeout      time.Duration `json:"timeout"`
	RemindBefore time.Duration `json:"remindBefore"`
}

// Request is what is to be approved.
type Request struct {
	CardID    string `json:"cardId"`
	Operation string `json:"operation"`
	// RequestedBy is who asked for the operation (never an approver of it).
	RequestedBy string `json:"requestedBy"`
	// HolderID is the card's user (never an approver of it).
	HolderID string `json:"holderId"`
	CardType string `json:"cardType"`
}

// Outcome is how an approval ended.
type Outcome struct {
	// Decision is approved, rejected, timedOut or aborted.
	Decision  string           `json:"decision"`
	Actor     string           `json:"actor"`
	Comment   string           `json:"comment"`
	Approvals []cards.Approval `json:"approvals"`
	// Vote is the deciding vote, for the caller to write with the outcome
	// (Options.DecidingVoteWrittenByCaller); nil otherwise.
	Vote *activities.RecordVoteInput `json:"vote,omitempty"`
}

// Decisions an Outcome reports.
const (
	Approved = "approved"
	Rejected = "rejected"
	TimedOut = "timedOut"
	Aborted  = "aborted"
)

// Open registers the approve, reject and postpone updates (with their
// validators: the one rule set, internal/approvalrules) on the calling
// workflow, and writes the open approval row in PostgreSQL. Call it once
// the policy is known, before the workflow waits for anything else; the
// handlers are registered before the row's write blocks. With pol.Required
// false it returns a process whose Await answers Approved at once and
// registers nothing.
func Open(ctx workflow.Context, req Request, pol Policy) (*Process, error) {
	return OpenWith(ctx, req, pol, Options{})
}

// Await waits for enough approvals, a rejection or the timeout (with the
// reminder before it), records each vote in card_events as it is accepted,
// and closes the approval row with the outcome. A cancelled workflow ends
// it Aborted (the row is closed on a disconnected context).
func (p *Process) Await(ctx workflow.Context) (Outcome, error) {
	return p.await(ctx)
}

// Abort closes the approval as aborted with reason (Lock card pre-empting a
// Deactivate or Reactivate that waits for approval), on a disconnected
// context so that it runs even when the workflow is being cancelled. An
// Await still waiting returns Aborted with the reason.
func (p *Process) Abort(ctx workflow.Context, reason string) error {
	return p.abort(ctx, reason)
}

// Status is the open approval as the status document shows it (`approval`).
type Status struct {
	Operation         string           `json:"operation"`
	ApprovalsRequired int              `json:"approvalsRequired"`
	Approvals         []cards.Approval `json:"approvals"`
	Postponed         []cards.Approval `json:"postponed,omitempty"`
	ExpiresAt         *time.Time       `json:"expiresAt,omitempty"`
}

// Status returns the process's current status (copies: safe to hand out
// while handlers run).
func (p *Process) Status() Status {
	s := Status{Operation: p.req.Operation, ApprovalsRequired: p.pol.Approvers,
		Approvals: append([]cards.Approval{}, p.approvals...)}
	if len(p.postponed) > 0 {
		s.Postponed = append([]cards.Approval{}, p.postponed...)
	}
	if !p.expires.IsZero() {
		e := p.expires
		s.ExpiresAt = &e
	}
	return s
}
