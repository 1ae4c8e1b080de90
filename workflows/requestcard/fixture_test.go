package requestcard_test

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
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// The fixture runs RequestCard in the SDK's test environment with every
// activity mocked; the tests of this package share it.

var acts *activities.Activities

// fixture is a workflow test environment with the activities mocked.
type fixture struct {
	t           *testing.T
	env         *testsuite.TestWorkflowEnvironment
	policy      policy.Resolved
	transitions []activities.TransitionCardInput
	// Refusals the mocked activities return when set.
	resolveErr, userErr, persistErr, transitionErr error
	// authorizeErr refuses a decision by actor (AuthorizeDecision).
	authorizeErr map[string]error
	// authorized lists the actors AuthorizeDecision was asked about.
	authorized []string
	// directoryDown, when set, fails AuthorizeDecision as infrastructure
	// (a database outage) while it returns true.
	directoryDown func() bool
	// notified lists the Notify events, in order.
	notified []activities.NotifyInput
	// prepareFailures and persistFailures make the first calls of
	// PrepareRequest and PersistCard fail with an infrastructure error
	// (retryable).
	prepareFailures, persistFailures int
	prepareCalls, persistCalls       int
	// The PersistCard, TransitionCard and Notify mocks, to add a delay with After.
	persistCall, transitionCall, notifyCall *testsuite.MockCallWrapper
	// notifyErr fails every Notify.
	notifyErr error
	persisted []activities.PersistCardInput
	// onTransition runs inside the TransitionCard mock, before it returns.
	onTransition func()
	// The approvals row opened (with the card, by PersistCard), the votes
	// written, the row closed (with the decision, by TransitionCard).
	opened []activities.OpenApprovalInput
	votes  []activities.RecordVoteInput
	closed []activities.CloseApprovalInput
	// processWrites counts the process's own OpenApproval and
	// CloseApproval calls: none for Request card, whose writes carry them.
	processWrites int
}

func newFixture(t *testing.T, approvers int) *fixture {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	f := &fixture{t: t, env: suite.NewTestWorkflowEnvironment()}
	f.env.RegisterWorkflow(requestcard.RequestCard)
	f.env.RegisterActivity(acts)
	f.policy = policy.Resolved{CardType: "standard", CommonNameTemplate: "{{.GivenName}} {{.Surname}}", UPNTemplate: "{{.UPN}}"}
	if approvers > 0 {
		f.policy.ApprovalRequired, f.policy.ApproversRequired, f.policy.ApprovalTimeout = true, approvers, 168*time.Hour
	}
	// ResolvePolicy runs alone only to name the card type of a request
	// PrepareRequest refused.
	f.env.OnActivity(acts.ResolvePolicy, mock.Anything, mock.Anything).Return(
		func(_ context.Context, cardType string) (policy.Resolved, error) { return f.policy, f.resolveErr }).Maybe()
	// PrepareRequest: the policy, the user and requester check and the
	// mapping in one local activity.
	f.env.OnActivity(acts.PrepareRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PrepareRequestInput) (activities.PreparedRequest, error) {
			f.prepareCalls++
			if f.prepareCalls <= f.prepareFailures {
				return activities.PreparedRequest{}, errors.New("read users: dial tcp 127.0.0.1:5432: connect: connection refused")
			}
			if f.resolveErr != nil {
				return activities.PreparedRequest{}, f.resolveErr
			}
			if f.userErr != nil {
				return activities.PreparedRequest{Policy: f.policy}, f.userErr
			}
			return activities.PreparedRequest{Policy: f.policy, Card: cards.CardData{CommonName: "Ada Lovelace", UPN: "ada@example.com"}}, nil
		}).Maybe()
	f.env.OnActivity(acts.AuthorizeDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AuthorizeDecisionInput) error {
			f.authorized = append(f.authorized, in.Actor)
			if f.directoryDown != nil && f.directoryDown() {
				return errors.New("read directory: dial tcp 127.0.0.1:5432: connect: connection refused")
			}
			return f.authorizeErr[in.Actor]
		}).Maybe()
	// The shared approval process's writes (version 3).
	f.env.OnActivity(acts.OpenApproval, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OpenApprovalInput) error {
			f.processWrites++
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
			f.processWrites++
			f.closed = append(f.closed, in)
			return nil
		}).Maybe()
	f.notifyCall = f.env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
			f.notified = append(f.notified, in)
			if f.notifyErr != nil {
				return activities.NotifyResult{}, f.notifyErr
			}
			return activities.NotifyResult{Notifications: []cards.Notification{{Event: in.Event, Recipient: "someone", Outcome: "sent"}}}, nil
		}).Maybe()
	f.persistCall = f.env.OnActivity(acts.PersistCard, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PersistCardInput) (activities.PersistCardResult, error) {
			f.persistCalls++
			if f.persistCalls <= f.persistFailures {
				return activities.PersistCardResult{}, errors.New("persist card: pq: the database system is starting up")
			}
			f.persisted = append(f.persisted, in)
			if f.persistErr != nil {
				return activities.PersistCardResult{}, f.persistErr
			}
			if in.OpenApproval != nil {
				f.opened = append(f.opened, *in.OpenApproval)
			}
			return activities.PersistCardResult{State: in.State, Created: true}, nil
		}).Maybe()
	f.transitionCall = f.env.OnActivity(acts.TransitionCard, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TransitionCardInput) (cards.State, error) {
			f.transitions = append(f.transitions, in)
			if in.CloseApproval != nil {
				f.closed = append(f.closed, *in.CloseApproval)
			}
			if f.onTransition != nil {
				f.onTransition()
			}
			if f.transitionErr != nil {
				return "", f.transitionErr
			}
			return in.To, nil
		}).Maybe()
	return f
}

// lean runs the execution as version 2 of RequestCard (its own approval
// code), as executions started before version 3 do.
func (f *fixture) lean() {
	f.env.OnGetVersion("request-card", 2, 5).Return(workflow.Version(2))
}

// shared3 runs the execution as version 3 (the shared approval process,
// every vote written by RecordVote), as executions started before version
// 4 do.
func (f *fixture) shared3() {
	f.env.OnGetVersion("request-card", 2, 5).Return(workflow.Version(3))
}

// regularWrites4 runs the execution as version 4 (the card's writes as
// regular activities), as executions started before version 5 do.
func (f *fixture) regularWrites4() {
	f.env.OnGetVersion("request-card", 2, 5).Return(workflow.Version(4))
}

func (f *fixture) run() (cards.Status, error) {
	f.env.ExecuteWorkflow(requestcard.RequestCard, requestcard.RequestCardInput{CardID: "c1", UserID: "u1", RequestedBy: "olivia"})
	require.True(f.t, f.env.IsWorkflowCompleted())
	var s cards.Status
	err := f.env.GetWorkflowError()
	if err == nil {
		require.NoError(f.t, f.env.GetWorkflowResult(&s))
	}
	return s, err
}

// at schedules fn a moment after the card is persisted (the mocks take no time).
func (f *fixture) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

func (f *fixture) signal(kind, actor, comment string) {
	f.env.SignalWorkflow(kind, cards.DecisionInput{Actor: actor, Comment: comment})
}

// sent records what the test environment reported for one update.
type sent struct {
	accepted, rejected, completed bool
	err                           error
	status                        cards.Status
}

// send sends an update whose callbacks record acceptance, rejection and completion.
func (f *fixture) send(name string, args ...any) *sent {
	u := &sent{}
	f.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() { u.accepted = true },
		OnReject: func(err error) { u.rejected, u.err = true, err },
		OnComplete: func(v any, err error) {
			u.completed, u.err = true, err
			if s, ok := v.(cards.Status); ok {
				u.status = s
			}
		},
	}, args...)
	return u
}

func (f *fixture) decide(kind, actor, comment string) *sent {
	return f.send(kind, cards.DecisionInput{Actor: actor, Comment: comment})
}

func (f *fixture) query() cards.Status {
	v, err := f.env.QueryWorkflow(requestcard.StatusQuery)
	require.NoError(f.t, err)
	var s cards.Status
	require.NoError(f.t, v.Get(&s))
	return s
}

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func notAllowed(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, cards.ErrNotAllowed, nil)
}

// requireRefusedOrFailed asserts the update was refused with errType, by
// its validator or by its handler's re-check after the directory read (a
// decision taken while that read ran).
func requireRefusedOrFailed(t *testing.T, u *sent, wantType string) {
	t.Helper()
	if u.rejected {
		requireRefused(t, u, wantType)
		return
	}
	require.True(t, u.completed, "update should be refused or complete with an error")
	require.Equal(t, wantType, errType(u.err), "update error %v", u.err)
}

// requireRefused asserts the validator refused the update with errType.
func requireRefused(t *testing.T, u *sent, wantType string) {
	t.Helper()
	require.True(t, u.rejected, "update should be rejected by the validator")
	require.False(t, u.accepted, "a rejected update must not be accepted")
	require.False(t, u.completed, "a rejected update must not run its handler")
	require.Equal(t, wantType, errType(u.err), "rejection %v", u.err)
}

// requireDone asserts the update was accepted and completed without error.
func requireDone(t *testing.T, u *sent) {
	t.Helper()
	require.True(t, u.accepted, "update should be accepted")
	require.False(t, u.rejected, "update should not be rejected: %v", u.err)
	require.True(t, u.completed, "update should complete")
	require.NoError(t, u.err)
}

// watchStates records the CardRequestState values the workflow upserts.
func (f *fixture) watchStates() *[]string {
	var states []string
	f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(requestcard.StateSearchAttribute); ok {
			states = append(states, v)
		}
		user, _ := sa.GetKeyword(requestcard.UserIDSearchAttribute)
		cardType, known := sa.GetKeyword(requestcard.CardTypeSearchAttribute)
		require.Equal(f.t, "u1", user, "CardUserId is set on every upsert")
		// Before the policy is read (the pending upsert of a client that
		// set no search attributes at start) the card type is left unset.
		if f.resolveErr == nil && (known || len(states) > 1) {
			require.Equal(f.t, "standard", cardType, "CardType is the resolved card type")
		}
	}).Return(nil)
	return &states
}
