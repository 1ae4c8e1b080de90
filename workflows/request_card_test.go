package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/workflows"
)

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
	// notified lists the Notify events, in order.
	notified []activities.NotifyInput
	// checkFailures and persistFailures make the first calls of CheckRequest
	// and PersistCard fail with an infrastructure error (retryable).
	checkFailures, persistFailures int
	checkCalls, persistCalls       int
	// The PersistCard, TransitionCard and Notify mocks, to add a delay with After.
	persistCall, transitionCall, notifyCall *testsuite.MockCallWrapper
	// notifyErr fails every Notify.
	notifyErr error
	persisted []activities.PersistCardInput
	// onTransition runs inside the TransitionCard mock, before it returns.
	onTransition func()
}

func newFixture(t *testing.T, approvers int) *fixture {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	f := &fixture{t: t, env: suite.NewTestWorkflowEnvironment()}
	f.env.RegisterWorkflow(workflows.RequestCard)
	f.env.RegisterActivity(acts)
	f.policy = policy.Resolved{CardType: "standard", CommonNameTemplate: "{{.GivenName}} {{.Surname}}", UPNTemplate: "{{.UPN}}"}
	if approvers > 0 {
		f.policy.ApprovalRequired, f.policy.ApproversRequired, f.policy.ApprovalTimeout = true, approvers, 168*time.Hour
	}
	f.env.OnActivity(acts.ResolvePolicy, mock.Anything, mock.Anything).Return(
		func(_ context.Context, cardType string) (policy.Resolved, error) { return f.policy, f.resolveErr }).Maybe()
	f.env.OnActivity(acts.CheckUserState, mock.Anything, "u1").Return(
		func(context.Context, string) (cards.User, error) {
			return cards.User{ID: "u1", GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com", State: "active"}, f.userErr
		}).Maybe()
	f.env.OnActivity(acts.CheckRequest, mock.Anything, mock.Anything).Return(f.checkRequest).Maybe()
	// PrepareRequest (versionLean) is the three reads in one: the same mocks.
	f.env.OnActivity(acts.PrepareRequest, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.PrepareRequestInput) (activities.PreparedRequest, error) {
			if f.resolveErr != nil {
				return activities.PreparedRequest{}, f.resolveErr
			}
			if _, err := f.checkRequest(ctx, activities.CheckRequestInput{UserID: in.UserID, RequestedBy: in.RequestedBy, Policy: f.policy}); err != nil {
				return activities.PreparedRequest{Policy: f.policy}, err
			}
			return activities.PreparedRequest{Policy: f.policy, Card: cards.CardData{CommonName: "Ada Lovelace", UPN: "ada@example.com"}}, nil
		}).Maybe()
	f.env.OnActivity(acts.AuthorizeDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AuthorizeDecisionInput) error {
			f.authorized = append(f.authorized, in.Actor)
			return f.authorizeErr[in.Actor]
		}).Maybe()
	f.notifyCall = f.env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
			f.notified = append(f.notified, in)
			if f.notifyErr != nil {
				return activities.NotifyResult{}, f.notifyErr
			}
			return activities.NotifyResult{Notifications: []cards.Notification{{Event: in.Event, Recipient: "someone", Outcome: "sent"}}}, nil
		}).Maybe()
	f.env.OnActivity(acts.MapUserToCard, mock.Anything, mock.Anything).Return(cards.CardData{CommonName: "Ada Lovelace", UPN: "ada@example.com"}, nil).Maybe()
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
			return activities.PersistCardResult{State: in.State, Created: true}, nil
		}).Maybe()
	f.transitionCall = f.env.OnActivity(acts.TransitionCard, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TransitionCardInput) (cards.State, error) {
			f.transitions = append(f.transitions, in)
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

// checkRequest is the CheckRequest mock: the first checkFailures calls
// fail on infrastructure, then userErr refuses.
func (f *fixture) checkRequest(_ context.Context, in activities.CheckRequestInput) (cards.User, error) {
	f.checkCalls++
	if f.checkCalls <= f.checkFailures {
		return cards.User{}, errors.New("read users: dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return cards.User{ID: in.UserID, GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com", State: "active"}, f.userErr
}

func (f *fixture) run() (cards.Status, error) {
	f.env.ExecuteWorkflow(workflows.RequestCard, workflows.RequestCardInput{CardID: "c1", UserID: "u1", RequestedBy: "olivia"})
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

// update sends an update and returns a function that reports its rejection
// (nil if accepted) and its result.
func (f *fixture) update(kind, actor, comment string) func() (cards.Status, error) {
	var rejected error
	var result cards.Status
	f.env.UpdateWorkflow(kind, "", &testsuite.TestUpdateCallback{
		OnReject: func(err error) { rejected = err },
		OnAccept: func() {},
		OnComplete: func(v any, err error) {
			if err == nil {
				result = v.(cards.Status)
			}
		},
	}, cards.DecisionInput{Actor: actor, Comment: comment})
	return func() (cards.Status, error) { return result, rejected }
}

func (f *fixture) query() cards.Status {
	v, err := f.env.QueryWorkflow(workflows.StatusQuery)
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

func TestNoApprovalStepApprovesAtOnce(t *testing.T) {
	f := newFixture(t, 0)
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, "Ada Lovelace", s.CommonName)
	require.Empty(t, f.transitions, "an approved-at-once card needs no transition")
	f.env.AssertActivityNumberOfCalls(t, "PersistCard", 1)
}

func TestApprovalBySignal(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.StateApproved, f.transitions[0].To)
	require.Equal(t, "alice", f.transitions[0].Actor)
	require.Len(t, f.transitions[0].Approvals, 1)
}

func TestApprovalByUpdateAnswersOnceWritten(t *testing.T) {
	f := newFixture(t, 1)
	var answer func() (cards.Status, error)
	f.at(time.Minute, func() { answer = f.update(cards.Approve, "alice", "ok") })
	_, err := f.run()
	require.NoError(t, err)
	result, rejected := answer()
	require.NoError(t, rejected)
	require.Equal(t, cards.StateApproved, result.State, "the update answers after the transition is written")
}

func TestTwoDistinctApproversNeeded(t *testing.T) {
	f := newFixture(t, 2)
	var afterOne cards.Status
	var duplicate func() (cards.Status, error)
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(2*time.Minute, func() {
		afterOne = f.query()
		duplicate = f.update(cards.Approve, "alice", "again")
	})
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "signal again") })
	f.at(4*time.Minute, func() { f.signal(cards.Approve, "bob", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateRequested, afterOne.State)
	require.Len(t, afterOne.Approvals, 1)
	_, rejected := duplicate()
	require.Equal(t, cards.ErrNotAllowed, errType(rejected))
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 2)
	require.Len(t, s.Ignored, 1)
	require.Contains(t, s.Ignored[0].Reason, "already approved")
	require.Len(t, f.transitions, 1)
}

func TestRequesterCannotApproveOrReject(t *testing.T) {
	f := newFixture(t, 1)
	var approve, reject func() (cards.Status, error)
	f.at(time.Minute, func() {
		approve = f.update(cards.Approve, "olivia", "")
		reject = f.update(cards.Reject, "olivia", "changed my mind")
		f.signal(cards.Approve, "olivia", "")
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	_, r1 := approve()
	_, r2 := reject()
	require.Equal(t, cards.ErrNotAllowed, errType(r1))
	require.Equal(t, cards.ErrNotAllowed, errType(r2))
	require.Len(t, s.Ignored, 1)
	require.Equal(t, "olivia", s.Ignored[0].Actor)
	require.Equal(t, "alice", s.Approvals[0].Actor)
}

func TestRejectNeedsAReason(t *testing.T) {
	f := newFixture(t, 1)
	var noReason func() (cards.Status, error)
	f.at(time.Minute, func() {
		noReason = f.update(cards.Reject, "alice", "  ")
		f.signal(cards.Reject, "alice", "")
	})
	f.at(2*time.Minute, func() { f.signal(cards.Reject, "alice", "not needed") })
	s, err := f.run()
	require.NoError(t, err)
	_, rejected := noReason()
	require.Equal(t, cards.ErrInvalidDecision, errType(rejected))
	require.Equal(t, cards.StateRejected, s.State)
	require.Len(t, s.Ignored, 1)
	require.Equal(t, "not needed", f.transitions[0].Comment)
}

func TestOnlyTheRequesterCancels(t *testing.T) {
	f := newFixture(t, 1)
	var other func() (cards.Status, error)
	f.at(time.Minute, func() { other = f.update(cards.Cancel, "mallory", "") })
	f.at(2*time.Minute, func() { f.signal(cards.Cancel, "olivia", "") })
	s, err := f.run()
	require.NoError(t, err)
	_, rejected := other()
	require.Equal(t, cards.ErrNotAllowed, errType(rejected))
	require.Equal(t, cards.StateAborted, s.State)
	require.Equal(t, "olivia", f.transitions[0].Actor)
}

func TestEmptyActorAndDecisionsAfterTheEndAreRefused(t *testing.T) {
	f := newFixture(t, 1)
	var empty func() (cards.Status, error)
	var late *sent
	f.at(time.Minute, func() {
		empty = f.update(cards.Approve, " ", "")
		f.signal(cards.Approve, "alice", "")
	})
	// After the decision is taken and while it is written (an approval and
	// a rejection sent in the same instant both wait for their directory
	// check, and either may win): refused as already decided, and a late
	// signal recorded as ignored.
	f.transitionCall.After(time.Minute)
	f.at(time.Minute+time.Second, func() {
		late = f.decide(cards.Reject, "bob", "too late")
		f.signal(cards.Approve, "carl", "")
	})
	s, err := f.run()
	require.NoError(t, err)
	_, r1 := empty()
	require.Equal(t, cards.ErrInvalidDecision, errType(r1))
	requireRefusedOrFailed(t, late, cards.ErrAlreadyDecided)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 1, "the late signal is drained and recorded")
	require.Equal(t, "carl", s.Ignored[0].Actor)
	require.Len(t, f.transitions, 1)
}

func TestApprovalTimeoutAbortsAsSystem(t *testing.T) {
	f := newFixture(t, 1)
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateAborted, s.State)
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.SystemActor, f.transitions[0].Actor)
	require.Contains(t, f.transitions[0].Comment, "timed out after 168h")
}

func TestWorkflowCancellationAbortsTheCard(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Hour, func() { f.env.CancelWorkflow() })
	_, err := f.run()
	require.True(t, temporal.IsCanceledError(err), "workflow error %v", err)
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.StateAborted, f.transitions[0].To)
	require.Contains(t, f.transitions[0].Comment, "cancelled from Temporal")
}

func TestBusinessRefusalsFailTheWorkflowWithTheirType(t *testing.T) {
	refusal := func(errType string) error { return temporal.NewNonRetryableApplicationError("refused", errType, nil) }
	for _, tc := range []struct {
		errType string
		mock    func(*fixture)
	}{
		{cards.ErrUnknownCardType, func(f *fixture) { f.resolveErr = refusal(cards.ErrUnknownCardType) }},
		{cards.ErrUseCaseDisabled, func(f *fixture) { f.resolveErr = refusal(cards.ErrUseCaseDisabled) }},
		{cards.ErrUserNotFound, func(f *fixture) { f.userErr = refusal(cards.ErrUserNotFound) }},
		{cards.ErrUserNotActive, func(f *fixture) { f.userErr = refusal(cards.ErrUserNotActive) }},
		{cards.ErrDuplicateOpenRequest, func(f *fixture) { f.persistErr = refusal(cards.ErrDuplicateOpenRequest) }},
	} {
		t.Run(tc.errType, func(t *testing.T) {
			f := newFixture(t, 1)
			tc.mock(f)
			var persisted func() (cards.Status, error)
			f.at(0, func() {
				var updateErr error
				f.env.UpdateWorkflow(workflows.PersistedUpdate, "", &testsuite.TestUpdateCallback{
					OnReject: func(err error) { updateErr = err }, OnAccept: func() {},
					OnComplete: func(_ any, err error) { updateErr = err },
				})
				persisted = func() (cards.Status, error) { return cards.Status{}, updateErr }
			})
			_, err := f.run()
			require.Equal(t, tc.errType, errType(err))
			_, updateErr := persisted()
			require.Equal(t, tc.errType, errType(updateErr), "the persisted update reports the refusal")
			require.Empty(t, f.transitions)
		})
	}
}

func TestBadSignalPayloadIsIgnoredNotFatal(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() {
		p, err := converter.GetDefaultDataConverter().ToPayload("not an object")
		require.NoError(t, err)
		f.env.SignalWorkflow(cards.Approve, converter.NewRawValue(p))
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 1)
	require.True(t, strings.Contains(s.Ignored[0].Reason, "payload"), s.Ignored[0].Reason)
}

func TestSearchAttributesFollowTheState(t *testing.T) {
	f := newFixture(t, 1)
	var states []string
	f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(workflows.StateSearchAttribute); ok {
			states = append(states, v)
		}
	}).Return(nil)
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	_, err := f.run()
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "requested", "approved"}, states)
}
