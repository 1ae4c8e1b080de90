package requestcard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// The paths of one request, each checked for the card it writes (or does
// not write), the answers of its updates and the search attributes it keeps.

func TestNoApprovalNeverTransitionsAndAnswersPersisted(t *testing.T) {
	f := newFixture(t, 0)
	states := f.watchStates()
	var persisted *sent
	f.at(0, func() { persisted = f.send(requestcard.PersistedUpdate) })
	s, err := f.run()
	require.NoError(t, err)

	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, "c1", s.ID)
	require.Equal(t, "olivia", s.RequestedBy)
	require.Equal(t, "Ada Lovelace", s.CommonName)
	require.Equal(t, "ada@example.com", s.UPN)
	require.Zero(t, s.ApprovalsRequired)
	require.Nil(t, s.ExpiresAt, "no approval step, no expiry")
	require.Nil(t, s.Decision)
	require.Empty(t, s.Approvals)
	require.Empty(t, s.Ignored)

	require.Len(t, f.persisted, 1)
	require.Equal(t, cards.StateApproved, f.persisted[0].State, "the card is created approved")
	f.env.AssertActivityNotCalled(t, "TransitionCard", mock.Anything, mock.Anything)
	require.Empty(t, f.transitions)

	requireDone(t, persisted)
	require.Equal(t, cards.StateApproved, persisted.status.State)
	require.Equal(t, []string{"pending", "approved"}, *states)
}

func TestPersistedUpdateAnswersRequestedAndWorkflowWaits(t *testing.T) {
	f := newFixture(t, 1)
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: requestcard.WorkflowID("c1")})
	start := f.env.Now()
	var persisted *sent
	var waiting cards.Status
	f.at(0, func() { persisted = f.send(requestcard.PersistedUpdate) })
	f.at(time.Hour, func() {
		require.False(t, f.env.IsWorkflowCompleted(), "the workflow waits for approvers")
		waiting = f.query()
		f.signal(cards.Approve, "alice", "")
	})
	s, err := f.run()
	require.NoError(t, err)

	requireDone(t, persisted)
	require.Equal(t, cards.StateRequested, persisted.status.State)
	require.Equal(t, 1, persisted.status.ApprovalsRequired)
	require.NotNil(t, persisted.status.ExpiresAt)
	require.WithinDuration(t, start.Add(168*time.Hour), *persisted.status.ExpiresAt, time.Minute)

	require.Equal(t, cards.StateRequested, waiting.State)
	require.Empty(t, waiting.Approvals)
	require.Len(t, f.persisted, 1)
	require.Equal(t, cards.StateRequested, f.persisted[0].State)
	require.Equal(t, 1, f.persisted[0].ApprovalsRequired)
	require.Equal(t, "Ada Lovelace", f.persisted[0].CommonName)
	require.Equal(t, "request-card-c1", f.persisted[0].WorkflowID)
	require.Equal(t, cards.StateApproved, s.State)
}

func TestApproveBySignalWritesTheApproval(t *testing.T) {
	f := newFixture(t, 1)
	states := f.watchStates()
	f.at(time.Minute, func() { f.signal(cards.Approve, " alice ", "looks fine") })
	s, err := f.run()
	require.NoError(t, err)

	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.transitions, 1)
	tr := f.transitions[0]
	require.Equal(t, "c1", tr.CardID)
	require.Equal(t, cards.StateApproved, tr.To)
	require.Equal(t, "alice", tr.Actor, "the actor is trimmed")
	require.Equal(t, "looks fine", tr.Comment)
	require.Len(t, tr.Approvals, 1)
	require.Equal(t, "alice", tr.Approvals[0].Actor)
	require.Equal(t, "looks fine", tr.Approvals[0].Comment)
	require.False(t, tr.Approvals[0].At.IsZero())
	require.NotNil(t, s.Decision)
	require.Equal(t, cards.StateApproved, s.Decision.To)
	require.Equal(t, "alice", s.Decision.Actor)
	require.Equal(t, []string{"pending", "requested", "approved"}, *states)
}

func TestApproveByUpdateIsAcceptedAndCompletesAfterTheWrite(t *testing.T) {
	f := newFixture(t, 1)
	var u *sent
	f.at(time.Minute, func() { u = f.decide(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)

	requireDone(t, u)
	require.Equal(t, cards.StateApproved, u.status.State, "the answer comes after TransitionCard")
	require.NotNil(t, u.status.Decision)
	require.Len(t, u.status.Approvals, 1)
	require.Equal(t, cards.StateApproved, s.State)
	f.env.AssertActivityNumberOfCalls(t, "TransitionCard", 1)
	require.Equal(t, cards.StateApproved, f.transitions[0].To)
	require.Equal(t, "alice", f.transitions[0].Approvals[0].Actor)
}

func TestTwoApproversByUpdate(t *testing.T) {
	f := newFixture(t, 2)
	var first, second *sent
	var afterFirst cards.Status
	f.at(time.Minute, func() { first = f.decide(cards.Approve, "alice", "") })
	f.at(2*time.Minute, func() {
		afterFirst = f.query()
		require.False(t, f.env.IsWorkflowCompleted())
		require.Empty(t, f.transitions, "one approval of two writes nothing")
	})
	f.at(3*time.Minute, func() { second = f.decide(cards.Approve, "bob", "fine") })
	s, err := f.run()
	require.NoError(t, err)

	requireDone(t, first)
	require.Equal(t, cards.StateRequested, first.status.State, "one of two approvals keeps the card requested")
	require.Len(t, first.status.Approvals, 1)
	require.Equal(t, cards.StateRequested, afterFirst.State)
	require.Len(t, afterFirst.Approvals, 1)
	require.Equal(t, 2, afterFirst.ApprovalsRequired)

	requireDone(t, second)
	require.Equal(t, cards.StateApproved, second.status.State)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.transitions, 1)
	tr := f.transitions[0]
	require.Equal(t, "bob", tr.Actor)
	require.Equal(t, "approved by alice, bob. fine", tr.Comment)
	require.Len(t, tr.Approvals, 2)
}

func TestRejectWithReason(t *testing.T) {
	f := newFixture(t, 2)
	states := f.watchStates()
	var u *sent
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(2*time.Minute, func() { u = f.decide(cards.Reject, "bob", "wrong department") })
	s, err := f.run()
	require.NoError(t, err)

	requireDone(t, u)
	require.Equal(t, cards.StateRejected, u.status.State)
	require.Equal(t, cards.StateRejected, s.State)
	require.Len(t, f.transitions, 1)
	tr := f.transitions[0]
	require.Equal(t, cards.StateRejected, tr.To)
	require.Equal(t, "bob", tr.Actor)
	require.Equal(t, "wrong department", tr.Comment)
	require.Empty(t, tr.Approvals, "approvals are written only with an approval")
	require.Len(t, s.Approvals, 1, "the status still shows the earlier approval")
	require.Equal(t, cards.StateRejected, s.Decision.To)
	require.Equal(t, []string{"pending", "requested", "rejected"}, *states)
}

func TestCancelByRequesterUpdate(t *testing.T) {
	f := newFixture(t, 1)
	states := f.watchStates()
	var other, own *sent
	f.at(time.Minute, func() { other = f.decide(cards.Cancel, "mallory", "mine now") })
	f.at(2*time.Minute, func() { own = f.decide(cards.Cancel, "olivia", "") })
	s, err := f.run()
	require.NoError(t, err)

	requireRefused(t, other, cards.ErrNotAllowed)
	require.Contains(t, other.err.Error(), "only the requester (olivia)")
	requireDone(t, own)
	require.Equal(t, cards.StateAborted, own.status.State)
	require.Equal(t, cards.StateAborted, s.State)
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.StateAborted, f.transitions[0].To)
	require.Equal(t, "olivia", f.transitions[0].Actor)
	require.Equal(t, "cancelled by the requester", f.transitions[0].Comment)
	require.Equal(t, []string{"pending", "requested", "aborted"}, *states)
}

func TestApprovalJustBeforeTheTimeoutCounts(t *testing.T) {
	f := newFixture(t, 1)
	f.at(167*time.Hour, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.StateApproved, f.transitions[0].To)
}

func TestApprovalTimeoutAbortsWithSystemActor(t *testing.T) {
	f := newFixture(t, 2)
	states := f.watchStates()
	start := f.env.Now()
	f.at(time.Hour, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)

	require.Equal(t, cards.StateAborted, s.State)
	require.Len(t, f.transitions, 1)
	tr := f.transitions[0]
	require.Equal(t, cards.StateAborted, tr.To)
	require.Equal(t, cards.SystemActor, tr.Actor)
	require.Contains(t, tr.Comment, "approval timed out")
	require.Contains(t, tr.Comment, "168h")
	require.Empty(t, tr.Approvals)
	require.True(t, start.Add(168*time.Hour).Equal(tr.At), "aborted exactly at the timeout, at %s", tr.At)
	require.Equal(t, cards.SystemActor, s.Decision.Actor)
	require.Len(t, s.Approvals, 1)
	require.Equal(t, []string{"pending", "requested", "aborted"}, *states)
}

func TestWorkflowCancelWhileWaitingAborts(t *testing.T) {
	f := newFixture(t, 2)
	states := f.watchStates()
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(time.Hour, func() { f.env.CancelWorkflow() })
	_, err := f.run()

	require.Error(t, err)
	require.True(t, temporal.IsCanceledError(err), "workflow error %v", err)
	require.Len(t, f.transitions, 1)
	tr := f.transitions[0]
	require.Equal(t, cards.StateAborted, tr.To)
	require.Equal(t, cards.SystemActor, tr.Actor)
	require.Contains(t, tr.Comment, "cancelled from Temporal")
	require.Empty(t, tr.Approvals)
	require.Equal(t, []string{"pending", "requested", "aborted"}, *states)
}

// TestWorkflowCancelWhilePersisting cancels while PersistCard runs: the
// workflow still tries to abort the card, and a card that was never written
// (CardNotFound) is not an error.
func TestWorkflowCancelWhilePersisting(t *testing.T) {
	f := newFixture(t, 1)
	f.persistCall.After(time.Minute)
	f.transitionErr = temporal.NewNonRetryableApplicationError("card c1 does not exist", cards.ErrCardNotFound, nil)
	var early *sent
	f.at(10*time.Second, func() {
		early = f.decide(cards.Approve, "alice", "")
		f.signal(cards.Approve, "bob", "")
	})
	f.at(20*time.Second, func() { f.env.CancelWorkflow() })
	_, err := f.run()

	require.True(t, temporal.IsCanceledError(err), "workflow error %v", err)
	requireRefused(t, early, cards.ErrNotAllowed)
	require.Contains(t, early.err.Error(), "not persisted yet")
	require.Len(t, f.transitions, 1, "abort whatever the insert may have written")
	require.Equal(t, cards.StateAborted, f.transitions[0].To)
	require.Equal(t, cards.SystemActor, f.transitions[0].Actor)
}

// TestPersistCardWaitsForCancellation: a cancelled PersistCard may still be
// inserting the card. The workflow must wait for it to end before it writes
// the abort, or TransitionCard finds no card, the insert commits afterwards
// and a requested card stays open with no workflow. (The test environment
// does not model WaitForCancellation, so this checks the option itself.)
func TestPersistCardWaitsForCancellation(t *testing.T) {
	f := newFixture(t, 0)
	f.regularWrites4()
	options := map[string]workflow.ActivityOptions{}
	f.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&activityOptionsSpy{seen: options}}})
	_, err := f.run()
	require.NoError(t, err)
	require.Contains(t, options, "PersistCard")
	require.True(t, options["PersistCard"].WaitForCancellation, "PersistCard must wait for cancellation")
}

// From version 5 PersistCard's first try is a local activity, which cannot
// wait for its cancellation: it runs on a disconnected context instead, so
// that a cancel arriving mid-insert lets the insert end and the workflow
// then aborts the card it knows exists.
func TestALocalPersistIsNotCutShortByACancel(t *testing.T) {
	f := newFixture(t, 1)
	f.persistCall.After(3 * time.Second)
	f.env.RegisterDelayedCallback(func() { f.env.CancelWorkflow() }, time.Second)
	_, err := f.run()
	require.True(t, temporal.IsCanceledError(err), "got %v", err)
	require.Len(t, f.persisted, 1, "the insert ran to its end")
	require.Len(t, f.transitions, 1)
	require.Equal(t, cards.StateAborted, f.transitions[0].To)
}

type activityOptionsSpy struct {
	interceptor.WorkerInterceptorBase
	seen map[string]workflow.ActivityOptions
}

func (s *activityOptionsSpy) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &activityOptionsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, seen: s.seen}
}

type activityOptionsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	seen map[string]workflow.ActivityOptions
}

func (i *activityOptionsInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&activityOptionsOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, seen: i.seen})
}

type activityOptionsOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	seen map[string]workflow.ActivityOptions
}

func (o *activityOptionsOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.seen[activityType] = workflow.GetActivityOptions(ctx)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

// TestFailedTransitionFailsTheUpdate: when the outcome cannot be written, the
// update that decided must not report success.
func TestFailedTransitionFailsTheUpdate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		wantState cards.State
	}{
		{"already decided elsewhere", temporal.NewNonRetryableApplicationError("card c1 is already rejected", cards.ErrAlreadyDecided, nil, cards.StateRejected), cards.StateRejected},
		{"card gone", temporal.NewNonRetryableApplicationError("card c1 does not exist", cards.ErrCardNotFound, nil), cards.StateRequested},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.transitionErr = tc.err
			var u *sent
			f.at(time.Minute, func() { u = f.decide(cards.Approve, "alice", "") })
			_, err := f.run()

			wantType := errType(tc.err)
			require.Equal(t, wantType, errType(err), "workflow error %v", err)
			require.True(t, u.accepted)
			require.True(t, u.completed)
			require.Equal(t, wantType, errType(u.err), "the update reports the failed write, got %v", u.err)
			s := f.query()
			require.Equal(t, tc.wantState, s.State, "the status reports what is stored")
		})
	}
}

// A client that sets the search attributes at start (the starter, the
// console) saves the workflow its first upsert: it upserts only when the
// card's state changes. (Started without them, as by a plain `temporal
// workflow start`, the workflow lists itself as pending from its first task:
// TestApproveBySignalWritesTheApproval.)
func TestSearchAttributesSetAtStartAreNotUpsertedAgain(t *testing.T) {
	f := newFixture(t, 1)
	require.NoError(t, f.env.SetTypedSearchAttributesOnStart(requestcard.StartSearchAttributes(
		requestcard.RequestCardInput{CardID: "c1", UserID: "u1", RequestedBy: "olivia"})))
	states := f.watchStates()
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, []string{"requested", "approved"}, *states)
}

// Version 5 writes the card (its insert and its decision) with local
// activities, inside workflow tasks that run anyway; version 4 executions
// keep scheduling them as regular activities.
func TestVersionFiveWritesTheCardWithLocalActivities(t *testing.T) {
	for _, c := range []struct {
		name           string
		version4       bool
		local, regular []string
	}{
		{"version 5", false, []string{"PrepareRequest", "PersistCard", "AuthorizeDecision", "TransitionCard"}, nil},
		{"version 4", true, []string{"PrepareRequest", "AuthorizeDecision"}, []string{"PersistCard", "TransitionCard"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 1)
			if c.version4 {
				f.regularWrites4()
			}
			var local, regular []string
			f.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
				local = append(local, info.ActivityType.Name)
			})
			f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				regular = append(regular, info.ActivityType.Name)
			})
			f.at(time.Minute, func() { f.decide(cards.Approve, "alice", "ok") })
			s, err := f.run()
			require.NoError(t, err)
			require.Equal(t, cards.StateApproved, s.State)
			require.Equal(t, c.local, local)
			require.Equal(t, c.regular, regular)
		})
	}
}
