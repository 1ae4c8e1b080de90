package approval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
)

var acts *activities.Activities

// operation is a stand-in for Deactivate card: it opens an approval,
// waits for it, and aborts it when signalled "lock" (Lock card
// pre-empting it).
func operation(ctx workflow.Context, req approval.Request, pol approval.Policy) (approval.Outcome, error) {
	p, err := approval.Open(ctx, req, pol)
	if err != nil {
		return approval.Outcome{}, err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, "lock").Receive(ctx, nil)
		_ = p.Abort(ctx, "locked by olivia: card lost")
	})
	return p.Await(ctx)
}

type fixture struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	pol      approval.Policy
	votes    []activities.RecordVoteInput
	opened   []activities.OpenApprovalInput
	closed   []activities.CloseApprovalInput
	mails    []string
	refuseBy map[string]error
}

func newFixture(t *testing.T, approvers int) *fixture {
	var suite testsuite.WorkflowTestSuite
	f := &fixture{t: t, env: suite.NewTestWorkflowEnvironment(), refuseBy: map[string]error{}}
	f.pol = approval.Policy{Required: true, Approvers: approvers, ApproverRole: "approver", Timeout: 48 * time.Hour, RemindBefore: 24 * time.Hour}
	f.env.RegisterWorkflow(operation)
	f.env.RegisterActivity(acts)
	f.env.OnActivity(acts.AuthorizeDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AuthorizeDecisionInput) error { return f.refuseBy[in.Actor] }).Maybe()
	f.env.OnActivity(acts.OpenApproval, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OpenApprovalInput) error {
			f.opened = append(f.opened, in)
			return nil
		}).Maybe()
	f.env.OnActivity(acts.RecordVote, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordVoteInput) error {
			f.votes = append(f.votes, in)
			return nil
		}).Maybe()
	f.env.OnActivity(acts.CloseApproval, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CloseApprovalInput) error {
			f.closed = append(f.closed, in)
			return nil
		}).Maybe()
	f.env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
			f.mails = append(f.mails, in.Event)
			return activities.NotifyResult{}, nil
		}).Maybe()
	return f
}

func (f *fixture) run() approval.Outcome {
	f.env.ExecuteWorkflow(operation, approval.Request{CardID: "c1", Operation: approval.OperationDeactivation, RequestedBy: "olivia", HolderID: "henry", CardType: "standard"}, f.pol)
	require.True(f.t, f.env.IsWorkflowCompleted())
	require.NoError(f.t, f.env.GetWorkflowError())
	var out approval.Outcome
	require.NoError(f.t, f.env.GetWorkflowResult(&out))
	return out
}

type sent struct {
	rejected, completed bool
	err                 error
}

func (f *fixture) vote(at time.Duration, kind, actor, comment string) *sent {
	u := &sent{}
	f.env.RegisterDelayedCallback(func() {
		f.env.UpdateWorkflow(kind, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { u.rejected, u.err = true, err },
			OnComplete: func(_ any, err error) { u.completed, u.err = true, err },
		}, cards.DecisionInput{Actor: actor, Comment: comment})
	}, at)
	return u
}

func refusedWith(t *testing.T, u *sent, typ string) {
	t.Helper()
	require.True(t, u.rejected || u.completed, "the vote was never answered")
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(u.err, &appErr), "want a %s refusal, got %v", typ, u.err)
	require.Equal(t, typ, appErr.Type(), appErr.Error())
}

func done(t *testing.T, u *sent) {
	t.Helper()
	require.True(t, u.completed && !u.rejected, "vote not taken: %v", u.err)
	require.NoError(t, u.err)
}

func TestTwoOfManyApprove(t *testing.T) {
	f := newFixture(t, 2)
	first := f.vote(time.Minute, approval.ApproveUpdate, "alice", "ok")
	again := f.vote(2*time.Minute, approval.ApproveUpdate, "alice", "still ok")
	second := f.vote(3*time.Minute, approval.ApproveUpdate, "bob", "fine")
	out := f.run()
	done(t, first)
	refusedWith(t, again, cards.ErrNotAllowed)
	done(t, second)
	require.Equal(t, approval.Approved, out.Decision)
	require.Equal(t, "bob", out.Actor)
	require.Equal(t, "approved by alice, bob. fine", out.Comment)
	require.Len(t, out.Approvals, 2)
	require.Len(t, f.opened, 1)
	require.Equal(t, 2, f.opened[0].ApprovalsRequired)
	require.Len(t, f.votes, 2, "each accepted vote is an audit row")
	require.NotEqual(t, f.votes[0].Token, f.votes[1].Token)
	require.Equal(t, []activities.CloseApprovalInput{{WorkflowID: f.closed[0].WorkflowID, RunID: f.closed[0].RunID, State: approval.Approved, At: f.closed[0].At}}, f.closed)
}

func TestRejectNeedsAReason(t *testing.T) {
	f := newFixture(t, 2)
	bare := f.vote(time.Minute, approval.RejectUpdate, "alice", " ")
	reasoned := f.vote(2*time.Minute, approval.RejectUpdate, "alice", "the card is on the desk")
	out := f.run()
	refusedWith(t, bare, cards.ErrInvalidDecision)
	done(t, reasoned)
	require.Equal(t, approval.Rejected, out.Decision)
	require.Equal(t, "the card is on the desk", out.Comment)
	require.Len(t, f.votes, 1)
	require.Equal(t, "reject", f.votes[0].Kind)
	require.Equal(t, approval.Rejected, f.closed[0].State)
}

func TestPostponeThenApprove(t *testing.T) {
	f := newFixture(t, 1)
	later := f.vote(time.Minute, approval.PostponeUpdate, "alice", "after the audit")
	ok := f.vote(30*time.Hour, approval.ApproveUpdate, "alice", "audit done")
	out := f.run()
	done(t, later)
	done(t, ok)
	require.Equal(t, approval.Approved, out.Decision)
	require.Len(t, f.votes, 2)
	require.Equal(t, []string{"postpone", "approve"}, []string{f.votes[0].Kind, f.votes[1].Kind})
	require.Equal(t, "after the audit", f.votes[0].Comment)
	require.Len(t, f.closed, 1)
}

func TestTimeoutAfterAReminder(t *testing.T) {
	f := newFixture(t, 1)
	f.vote(time.Minute, approval.PostponeUpdate, "alice", "not now")
	late := f.vote(49*time.Hour, approval.ApproveUpdate, "alice", "")
	out := f.run()
	require.Equal(t, approval.TimedOut, out.Decision)
	require.Equal(t, cards.SystemActor, out.Actor)
	require.Equal(t, "the approval timed out after 48h0m0s", out.Comment)
	require.Equal(t, approval.TimedOut, f.closed[0].State)
	// Operations send their own e-mails: asked, reminded, told.
	require.Equal(t, []string{cards.NotifyRequested, cards.NotifyReminder, cards.NotifyDecided}, f.mails)
	require.False(t, late.completed && late.err == nil, "a vote after the timeout is not taken")
}

func TestAbortByLock(t *testing.T) {
	f := newFixture(t, 1)
	f.vote(time.Minute, approval.PostponeUpdate, "alice", "tomorrow")
	f.env.RegisterDelayedCallback(func() { f.env.SignalWorkflow("lock", nil) }, time.Hour)
	out := f.run()
	require.Equal(t, approval.Aborted, out.Decision)
	require.Equal(t, "locked by olivia: card lost", out.Comment)
	require.Len(t, f.closed, 1, "closed once")
	require.Equal(t, approval.Aborted, f.closed[0].State)
}

func TestValidatorsRefuse(t *testing.T) {
	f := newFixture(t, 2)
	f.refuseBy["pat"] = temporal.NewNonRetryableApplicationError(`pat does not hold role "approver"`, cards.ErrNotAllowed, nil)
	requester := f.vote(time.Minute, approval.ApproveUpdate, "olivia", "")
	holder := f.vote(2*time.Minute, approval.PostponeUpdate, "henry", "")
	noActor := f.vote(3*time.Minute, approval.ApproveUpdate, " ", "")
	noRole := f.vote(4*time.Minute, approval.ApproveUpdate, "pat", "")
	first := f.vote(5*time.Minute, approval.ApproveUpdate, "alice", "")
	twice := f.vote(6*time.Minute, approval.ApproveUpdate, "alice", "")
	noReason := f.vote(7*time.Minute, approval.RejectUpdate, "bob", "")
	f.vote(8*time.Minute, approval.RejectUpdate, "bob", "no")
	out := f.run()
	refusedWith(t, requester, cards.ErrNotAllowed)
	require.True(t, requester.rejected, "the validator refuses the requester")
	refusedWith(t, holder, cards.ErrNotAllowed)
	require.True(t, holder.rejected)
	refusedWith(t, noActor, cards.ErrInvalidDecision)
	refusedWith(t, noRole, cards.ErrNotAllowed)
	require.True(t, noRole.completed, "the directory check runs in the handler")
	done(t, first)
	refusedWith(t, twice, cards.ErrNotAllowed)
	refusedWith(t, noReason, cards.ErrInvalidDecision)
	require.Equal(t, approval.Rejected, out.Decision)
	require.Len(t, f.votes, 2, "only accepted votes are written")
}

func TestNotRequiredApprovesAtOnce(t *testing.T) {
	f := newFixture(t, 1)
	f.pol.Required = false
	out := f.run()
	require.Equal(t, approval.Approved, out.Decision)
	require.Empty(t, f.opened)
	require.Empty(t, f.closed)
}
