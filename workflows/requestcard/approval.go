package requestcard

import (
	"slices"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
)

// awaitApproval (version 3) waits for the decision on the shared approval
// process: it registers the approve, reject and postpone updates, takes
// votes sent as signals, runs the reminder and the timeout, and records
// every vote in the audit trail. The approvals row is opened and closed
// with the card's own writes (approvalrow.go), and from version 4 the
// deciding vote's audit row is written with the decision too. The cancel update
// and signal stay the request's own: a cancel ends the process (Stop).
func (r *request) awaitApproval(ctx workflow.Context) {
	var remind func(workflow.Context, []string)
	if r.policy.Notify {
		remind = func(ctx workflow.Context, _ []string) {
			r.syncApprovals()
			r.notify(ctx, cards.NotifyReminder)
		}
	}
	p, err := approval.OpenWith(ctx,
		approval.Request{CardID: r.in.CardID, Operation: approval.OperationRequest, RequestedBy: r.in.RequestedBy, HolderID: r.in.UserID, CardType: r.status.CardType},
		approval.Policy{Required: true, Approvers: r.policy.ApproversRequired, ApproverRole: r.policy.ApproverRole, Timeout: r.policy.ApprovalTimeout, RemindBefore: r.policy.RemindBefore},
		approval.Options{
			Signals: true, Ignored: r.ignore,
			Pending: func() bool { return r.ownSignalsPending(ctx) },
			Handle:  r.handleOwnSignals,
			Stop:    func() bool { return r.outcome != nil },
			Refuse:  r.checkRequest,
			Answer:  func() any { return r.snapshot() },
			Settled: func() bool { return r.final },
			Failed:  func() error { return r.transitionErr },
			Waiting: func(ctx workflow.Context, what string) { r.status.Waiting = what; r.setDetails(ctx) },
			Voted:   func(ctx workflow.Context) { r.syncApprovals(); r.setDetails(ctx) },
			Remind:  remind, OwnMail: true, RowWrittenByCaller: true, DecidingVoteWrittenByCaller: r.version >= voteWithDecisionVersion,
			ExpiresAt: *r.status.ExpiresAt, RetryFor: r.policy.RetryFor, RequireEncryption: r.policy.RequireEncryption,
		})
	r.process = p
	if err != nil {
		r.logger(ctx).Warn("Approval not opened", "error", err.Error())
	}
	out, _ := p.Await(ctx)
	r.approvalDecision = out.Decision
	r.decidingVote = out.Vote
	r.syncApprovals()
	to := cards.StateAborted
	switch out.Decision {
	case approval.Approved:
		to = cards.StateApproved
	case approval.Rejected:
		to = cards.StateRejected
	}
	r.decide(ctx, to, out.Actor, out.Comment)
	r.setDetails(ctx)
}

// syncApprovals copies the process's approvals and postponements into the
// status document.
func (r *request) syncApprovals() {
	if r.process == nil {
		return
	}
	st := r.process.Status()
	r.status.Approvals = st.Approvals
	r.status.Postponed = st.Postponed
}

// checkRequest is the request's own part of a vote's rules (the process
// runs it first): the card must exist, be requested and undecided.
func (r *request) checkRequest(kind string, d cards.DecisionInput) error {
	switch {
	case r.refusal != nil:
		return refuse(cards.ErrAlreadyDecided, "the request was refused and no card exists")
	case r.outcome != nil:
		return refuse(cards.ErrAlreadyDecided, "the card is already %s", r.outcome.To)
	case r.status.State.Final():
		return refuse(cards.ErrAlreadyDecided, "the card is already %s", r.status.State)
	case !r.persisted:
		return refuse(cards.ErrNotAllowed, "the card is not persisted yet; send the %s again once its state is requested", kind)
	}
	return nil
}

// kinds are the decision names this execution takes: version 3 adds
// postpone.
func (r *request) kinds() []string {
	if r.version >= 3 {
		return []string{cards.Approve, cards.Reject, cards.Cancel, approval.PostponeUpdate}
	}
	return cards.DecisionKinds
}

// ownSignalsPending reports whether a cancel or an unknown signal waits
// while the process handles the votes.
func (r *request) ownSignalsPending(ctx workflow.Context) bool {
	if workflow.GetSignalChannel(ctx, cards.Cancel).Len() > 0 {
		return true
	}
	for _, name := range workflow.GetUnhandledSignalNames(ctx) {
		if !slices.Contains(r.kinds(), name) {
			return true
		}
	}
	return false
}

// handleOwnSignals applies the cancel signals and records unknown ones.
func (r *request) handleOwnSignals(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, cards.Cancel)
	var raw converter.RawValue
	for ch.ReceiveAsync(&raw) {
		r.onSignal(ctx, cards.Cancel, raw)
	}
	r.handleUnknownSignals(ctx)
}
