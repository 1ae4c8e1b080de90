package console

import (
	"time"

	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cardview"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/approval"
)

// approvalsPanel is the card page's Approvals panel: every approval the
// card had, of any operation, from PostgreSQL (the approvals rows and the
// votes' audit rows), the open one first.
type approvalsPanel struct {
	// Open is the approval that waits, nil when none does.
	Open *approvalView
	// Closed are the approvals that ended, newest first.
	Closed []approvalView
	// Request are the approvals of a request decided before the shared
	// approval process (no approvals row): those its workflow returned,
	// or card_approvals. RequestRequired is how many it needed.
	Request         []cards.Approval
	RequestRequired int
}

// Empty says the card never waited for an approval the panel knows of.
func (p approvalsPanel) Empty() bool {
	return p.Open == nil && len(p.Closed) == 0 && len(p.Request) == 0 && p.RequestRequired == 0
}

// approvalView is one approval as the panel shows it.
type approvalView struct {
	store.ApprovalRecord
	// Given are the approvals so far (of an open approval) or that counted
	// (of a closed one); Postponed each approver's latest postponement.
	Given     []cards.Approval
	Postponed []cards.Approval
}

// Title names the operation approved: "Request", "Deactivation", ...
func (a approvalView) Title() string {
	switch a.Operation {
	case approval.OperationRequest:
		return "Request"
	case approval.OperationDeactivation:
		return "Deactivation"
	case approval.OperationReactivation:
		return "Reactivation"
	case approval.OperationLock:
		return "Lock"
	}
	return a.Operation
}

// Outcome says how a closed approval ended, in words.
func (a approvalView) Outcome() string {
	switch a.State {
	case store.ApprovalApproved:
		return "approved"
	case store.ApprovalRejected:
		return "rejected"
	case store.ApprovalTimedOut:
		return "timed out"
	case store.ApprovalAborted:
		return "aborted"
	}
	return a.State
}

// EndedAt is when a closed approval ended (the zero time when unknown).
func (a approvalView) EndedAt() time.Time {
	if a.Approval.ClosedAt == nil {
		return time.Time{}
	}
	return *a.Approval.ClosedAt
}

// votedAs says what a vote was, in words (the template's votedAs).
func votedAs(kind string) string {
	switch kind {
	case approvalrules.Approve:
		return "approved"
	case approvalrules.Reject:
		return "rejected"
	case approvalrules.Postpone:
		return "postponed"
	}
	return kind
}

// newApprovalsPanel builds the panel from the card's approvals (newest
// first) and the request's approvals of its status (its workflow's, or
// card_approvals): a row the backfill wrote for a version-2 request has
// no votes in card_events, its votes are those.
func newApprovalsPanel(trail []store.ApprovalRecord, request cards.Status) approvalsPanel {
	var p approvalsPanel
	hasRequest := false
	for _, r := range trail {
		v := approvalView{ApprovalRecord: r}
		if r.Backfilled() {
			v.Given = append([]cards.Approval{}, request.Approvals...)
		} else if r.Open() {
			v.Given = cardview.OpenApproval(r).Approvals
		} else {
			for _, vote := range r.Votes {
				if vote.Kind == approvalrules.Approve {
					v.Given = append(v.Given, cards.Approval{Actor: vote.Actor, Comment: vote.Comment, At: vote.At})
				}
			}
		}
		if r.Open() {
			v.Postponed = cardview.Postponements(r.Postponed)
			open := v
			p.Open = &open
		} else {
			p.Closed = append(p.Closed, v)
		}
		hasRequest = hasRequest || r.Operation == approval.OperationRequest
	}
	if !hasRequest {
		p.Request, p.RequestRequired = request.Approvals, request.ApprovalsRequired
	}
	return p
}
