package approval

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
)

// a names activities through their registered methods; it is never called
// through, so nil is enough.
var a *activities.Activities

// Process is one open approval inside the calling workflow. Handlers and
// Await share it; the workflow runs one coroutine at a time, so no locking.
type Process struct {
	req  Request
	pol  Policy
	opts Options

	workflowID, runID string
	approvals         []cards.Approval
	// postponed keeps each approver's latest postponement.
	postponed []cards.Approval
	expires   time.Time
	outcome   *Outcome
	// recording counts votes accepted whose audit rows are being written;
	// the row is closed after them.
	recording int
	// closing and closed: the row's close has started, has finished.
	closing, closed bool
	// signals counts votes taken as signals: their write tokens.
	signals int
	// pendingMail counts e-mail activities still running.
	pendingMail int
}

// OpenWith is Open with options (see Options). Added in issue 19.
func OpenWith(ctx workflow.Context, req Request, pol Policy, opts Options) (*Process, error) {
	info := workflow.GetInfo(ctx)
	p := &Process{req: req, pol: pol, opts: opts, workflowID: info.WorkflowExecution.ID, runID: info.WorkflowExecution.RunID}
	if !pol.Required {
		p.outcome = &Outcome{Decision: Approved, Actor: cards.SystemActor, Comment: "no approval step for this operation", Approvals: []cards.Approval{}}
		p.closed = true
		return p, nil
	}
	if p.pol.Approvers <= 0 {
		p.pol.Approvers = 1
	}
	if p.opts.RetryFor <= 0 {
		p.opts.RetryFor = activities.DefaultRetryFor
	}
	now := workflow.Now(ctx)
	p.expires = opts.ExpiresAt
	if p.expires.IsZero() {
		p.expires = now.Add(pol.Timeout)
	}
	for _, kind := range approvalrules.Kinds {
		if err := p.register(ctx, kind); err != nil {
			return p, err
		}
	}
	if opts.RowWrittenByCaller {
		p.mail(ctx, cards.NotifyRequested)
		return p, nil
	}
	expires := p.expires
	err := p.write(ctx, "Open approval", a.OpenApproval, activities.OpenApprovalInput{
		CardID: req.CardID, Operation: req.Operation, WorkflowID: p.workflowID, RunID: p.runID,
		ApprovalsRequired: p.pol.Approvers, ApproverRole: pol.ApproverRole, RequestedBy: req.RequestedBy,
		HolderID: req.HolderID, CardType: req.CardType, ExpiresAt: &expires, At: now,
	})
	if err != nil {
		return p, err
	}
	p.mail(ctx, cards.NotifyRequested)
	return p, nil
}

// rules is the approval as the rule set sees it now.
func (p *Process) rules() approvalrules.Case {
	c := approvalrules.Case{Operation: p.req.Operation, RequestedBy: p.req.RequestedBy, HolderID: p.req.HolderID,
		CardType: p.req.CardType, ApproverRole: p.pol.ApproverRole}
	for _, ap := range p.approvals {
		c.Approved = append(c.Approved, ap.Actor)
	}
	return c
}

// check is the rule set without the directory, plus the process's own
// state: refused once decided.
func (p *Process) check(kind string, d cards.DecisionInput) error {
	if p.opts.Refuse != nil {
		if err := p.opts.Refuse(kind, d); err != nil {
			return err
		}
	}
	if p.outcome != nil || p.closing {
		return refuse(cards.ErrAlreadyDecided, "%s", p.decidedText())
	}
	if r := approvalrules.Vote(p.rules(), kind, d.Actor, d.Comment); r != nil {
		return refuse(r.Type, "%s", r.Message)
	}
	return nil
}

// decidedText says how the approval ended, for a late vote.
func (p *Process) decidedText() string {
	subject := "the " + p.req.Operation
	if p.req.Operation == OperationRequest {
		subject = "the card"
	}
	if p.outcome == nil {
		return subject + " is being closed"
	}
	switch p.outcome.Decision {
	case TimedOut:
		return "the approval of " + subject + " timed out"
	case Approved, Rejected, Aborted:
		return subject + " is already " + p.outcome.Decision
	}
	return subject + " is already decided"
}

// authorize checks the vote against the directory as it is now (the
// AuthorizeDecision activity), then the rules again: another vote may have
// been taken while the read ran, or the timeout passed.
func (p *Process) authorize(ctx workflow.Context, kind string, d cards.DecisionInput) error {
	err := p.read(ctx, "Check approver", a.AuthorizeDecision, activities.AuthorizeDecisionInput{
		Kind: kind, Actor: strings.TrimSpace(d.Actor), CardUserID: p.req.HolderID, RequestedBy: p.req.RequestedBy,
		CardType: p.req.CardType, ApproverRole: p.pol.ApproverRole, Operation: p.req.Operation,
	})
	if err != nil {
		return err
	}
	if !workflow.Now(ctx).Before(p.expires) {
		return refuse(cards.ErrAlreadyDecided, "the approval timed out at %s, before the approver check finished", p.expires.UTC().Format(time.RFC3339))
	}
	return p.check(kind, d)
}

// apply takes an accepted vote: the approval counts, a rejection decides,
// a postponement is noted (and changes nothing else); then the audit row
// is written (token: the update's id, or the signal's position).
func (p *Process) apply(ctx workflow.Context, kind string, d cards.DecisionInput, token string) {
	actor := strings.TrimSpace(d.Actor)
	now := workflow.Now(ctx)
	vote := cards.Approval{Actor: actor, Comment: d.Comment, At: now}
	undecided := p.outcome == nil
	switch kind {
	case approvalrules.Approve:
		p.approvals = append(p.approvals, vote)
		if n := len(p.approvals); n >= p.pol.Approvers {
			comment := d.Comment
			if n > 1 {
				names := make([]string, 0, n)
				for _, ap := range p.approvals {
					names = append(names, ap.Actor)
				}
				comment = strings.TrimSpace(fmt.Sprintf("approved by %s. %s", strings.Join(names, ", "), d.Comment))
			}
			p.decide(Approved, actor, comment)
		}
	case approvalrules.Reject:
		p.decide(Rejected, actor, d.Comment)
	case approvalrules.Postpone:
		kept := p.postponed[:0]
		for _, pp := range p.postponed {
			if pp.Actor != actor {
				kept = append(kept, pp)
			}
		}
		p.postponed = append(kept, vote)
	}
	row := activities.RecordVoteInput{
		CardID: p.req.CardID, WorkflowID: p.workflowID, RunID: p.runID, Kind: kind,
		Actor: actor, Comment: d.Comment, At: now, Token: p.runID + "/" + token,
	}
	if undecided && p.outcome != nil && p.opts.RowWrittenByCaller && p.opts.DecidingVoteWrittenByCaller {
		// The caller writes this vote's row with the outcome.
		p.outcome.Vote = &row
		if p.opts.Voted != nil {
			p.opts.Voted(ctx)
		}
		return
	}
	if p.opts.Voted != nil {
		p.opts.Voted(ctx)
	}
	p.recording++
	writeCtx, _ := workflow.NewDisconnectedContext(ctx)
	_ = p.write(writeCtx, "Record "+kind, a.RecordVote, row)
	p.recording--
}

// decide sets the outcome; the first one wins.
func (p *Process) decide(decision, actor, comment string) {
	if p.outcome != nil {
		return
	}
	p.outcome = &Outcome{Decision: decision, Actor: actor, Comment: comment, Approvals: append([]cards.Approval{}, p.approvals...)}
}

// close writes the outcome on the row, once, on a disconnected context,
// after every accepted vote's audit row.
func (p *Process) close(ctx workflow.Context) {
	closeCtx, _ := workflow.NewDisconnectedContext(ctx)
	if p.closing {
		_ = workflow.Await(closeCtx, func() bool { return p.closed })
		return
	}
	p.closing = true
	_ = workflow.Await(closeCtx, func() bool { return p.recording == 0 })
	if p.opts.RowWrittenByCaller {
		// The caller closes the row with its outcome's write, after Await.
		p.closed = true
		p.mail(closeCtx, cards.NotifyDecided)
		return
	}
	_ = p.write(closeCtx, "Close approval: "+p.outcome.Decision, a.CloseApproval, activities.CloseApprovalInput{
		WorkflowID: p.workflowID, RunID: p.runID, State: p.outcome.Decision, At: workflow.Now(closeCtx),
	})
	p.closed = true
	p.mail(closeCtx, cards.NotifyDecided)
}

func (p *Process) abort(ctx workflow.Context, reason string) error {
	if p.outcome == nil {
		p.decide(Aborted, cards.SystemActor, reason)
	}
	if !p.pol.Required {
		return nil
	}
	p.close(ctx)
	return nil
}
