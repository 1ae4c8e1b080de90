package cardstate

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
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/workflows/approval"
	"github.com/cardflow/cardflow/workflows/lane"
)

var acts *activities.Activities

// fixture runs one of the three workflows with every activity mocked,
// recording the calls in order, and with a stand-in for the shared
// approval process (fakeApproval).
type fixture struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	calls []string
	plan  activities.OperationPlan
	// checkErr refuses the operation's check; lockCheckErr the check of a
	// pre-empting lock (Kind lock inside a Deactivate or Reactivate).
	checkErr, lockCheckErr, transitionErr error
	// caFailures fail the CA's step that many times (retryable).
	caFailures int
	revoked    []activities.RevokeCertificatesInput
	aborts     []activities.AbortInput
	approval   *fakeApproval
}

// fakeApproval stands in for approval.Process: Await sleeps (skipped by
// the test environment) and answers outcome, or the cancellation.
type fakeApproval struct {
	req      approval.Request
	pol      approval.Policy
	wait     time.Duration
	outcome  approval.Outcome
	aborted  []string
	awaitErr error
}

func (p *fakeApproval) Await(ctx workflow.Context) (approval.Outcome, error) {
	if err := workflow.Sleep(ctx, p.wait); err != nil {
		return approval.Outcome{}, err
	}
	return p.outcome, p.awaitErr
}

func (p *fakeApproval) Abort(_ workflow.Context, reason string) error {
	p.aborted = append(p.aborted, reason)
	return nil
}

func newFixture(t *testing.T, wf any) *fixture {
	var suite testsuite.WorkflowTestSuite
	f := &fixture{t: t, env: suite.NewTestWorkflowEnvironment()}
	f.plan = activities.OperationPlan{CardID: "c1", UserID: "carol", CardType: "standard", From: cards.StateActive, Serials: []string{"11", "22"}}
	f.approval = &fakeApproval{wait: time.Hour, outcome: approval.Outcome{Decision: approval.Approved, Actor: "alice"}}
	saved := openApproval
	openApproval = func(_ workflow.Context, req approval.Request, pol approval.Policy) (approver, error) {
		f.calls = append(f.calls, "open "+req.Operation)
		f.approval.req, f.approval.pol = req, pol
		return f.approval, nil
	}
	t.Cleanup(func() { openApproval = saved })
	f.env.RegisterWorkflow(wf)
	f.env.RegisterActivity(acts)
	f.env.OnActivity(acts.CheckOperation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OperationInput) (activities.OperationPlan, error) {
			f.calls = append(f.calls, "check "+in.Kind)
			if in.Kind == activities.KindLock && f.lockCheckErr != nil {
				return activities.OperationPlan{}, f.lockCheckErr
			}
			return f.plan, f.checkErr
		})
	ca := func(name string) func(context.Context, activities.ReleaseCertificatesInput) error {
		return func(context.Context, activities.ReleaseCertificatesInput) error {
			if f.caFailures > 0 {
				f.caFailures--
				return errors.New("the CA is down")
			}
			f.calls = append(f.calls, name)
			return nil
		}
	}
	f.env.OnActivity(acts.HoldAgain, mock.Anything, mock.Anything).Return(ca("hold")).Maybe()
	f.env.OnActivity(acts.ReleaseCertificates, mock.Anything, mock.Anything).Return(ca("release")).Maybe()
	f.env.OnActivity(acts.RevokeCertificates, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RevokeCertificatesInput) error {
			if f.caFailures > 0 {
				f.caFailures--
				return errors.New("the CA is down")
			}
			f.calls = append(f.calls, "revoke "+string(in.Reason))
			f.revoked = append(f.revoked, in)
			return nil
		}).Maybe()
	f.env.OnActivity(acts.Transition, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TransitionInput) (cards.State, error) {
			f.calls = append(f.calls, "transition "+in.Kind)
			to := map[string]cards.State{activities.KindDeactivate: cards.StateInactive, activities.KindReactivate: cards.StateActive, activities.KindLock: cards.StateLocked}[in.Kind]
			return to, f.transitionErr
		}).Maybe()
	f.env.OnActivity(acts.RecordAbort, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AbortInput) error {
			f.calls = append(f.calls, "abort")
			f.aborts = append(f.aborts, in)
			return nil
		}).Maybe()
	return f
}

// requireApproval makes the check's plan ask for an approval.
func (f *fixture) requireApproval() {
	f.plan.Approval = policy.ResolvedApproval{Required: true, Approvers: 1, ApproverRole: "approver", Timeout: 48 * time.Hour}
}

func (f *fixture) run(wf any, in Input) (lane.Status, error) {
	f.env.ExecuteWorkflow(wf, in)
	require.True(f.t, f.env.IsWorkflowCompleted())
	err := f.env.GetWorkflowError()
	var s lane.Status
	if err == nil {
		require.NoError(f.t, f.env.GetWorkflowResult(&s))
	}
	return s, err
}

// preempt sends Lock card's pre-emption at d and records its outcome.
func (f *fixture) preempt(d time.Duration, p lane.Preemption) *sent {
	u := &sent{}
	f.env.RegisterDelayedCallback(func() {
		f.env.UpdateWorkflow(lane.PreemptUpdate, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() { u.accepted = true },
			OnReject:   func(err error) { u.rejected, u.err = true, err },
			OnComplete: func(_ any, err error) { u.completed, u.err = true, err },
		}, p)
	}, d)
	return u
}

type sent struct {
	accepted, rejected, completed bool
	err                           error
}

func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func refusal(kind, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, kind, nil)
}
