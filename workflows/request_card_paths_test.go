package workflows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// These tests complement request_card_test.go: every update is checked for
// acceptance and completion, every ignored signal for its recorded reason,
// and every path for the transition it writes (or does not write).

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
		if v, ok := sa.GetKeyword(workflows.StateSearchAttribute); ok {
			states = append(states, v)
		}
		user, _ := sa.GetKeyword(workflows.UserIDSearchAttribute)
		cardType, known := sa.GetKeyword(workflows.CardTypeSearchAttribute)
		require.Equal(f.t, "u1", user, "CardUserId is set on every upsert")
		// Before the policy is read (the pending upsert of a client that
		// set no search attributes at start) the card type is left unset.
		if f.resolveErr == nil && (known || len(states) > 1) {
			require.Equal(f.t, "standard", cardType, "CardType is the resolved card type")
		}
	}).Return(nil)
	return &states
}

func TestNoApprovalNeverTransitionsAndAnswersPersisted(t *testing.T) {
	f := newFixture(t, 0)
	states := f.watchStates()
	var persisted *sent
	f.at(0, func() { persisted = f.send(workflows.PersistedUpdate) })
	s, err := f.run()
	require.NoError(t, err)

	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, "c1", s.ID)
	require.Equal(t, "olivia", s.RequestedBy)
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
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.WorkflowID("c1")})
	start := f.env.Now()
	var persisted *sent
	var waiting cards.Status
	f.at(0, func() { persisted = f.send(workflows.PersistedUpdate) })
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

// TestUpdatesRefusedByTheValidator checks every rule of the validator; a
// refused update changes nothing and is not recorded among ignored signals.
func TestUpdatesRefusedByTheValidator(t *testing.T) {
	for _, tc := range []struct {
		name, kind, actor, comment string
		want                       string
		approversRequired          int
		firstApproval              string // an approval signalled before the update
	}{
		{name: "empty actor approves", kind: cards.Approve, actor: "", want: cards.ErrInvalidDecision},
		{name: "blank actor rejects", kind: cards.Reject, actor: "  ", comment: "why", want: cards.ErrInvalidDecision},
		{name: "empty actor cancels", kind: cards.Cancel, actor: "", want: cards.ErrInvalidDecision},
		{name: "requester approves", kind: cards.Approve, actor: "olivia", want: cards.ErrNotAllowed},
		{name: "requester rejects", kind: cards.Reject, actor: "olivia", comment: "oops", want: cards.ErrNotAllowed},
		{name: "same approver twice", kind: cards.Approve, actor: "alice", approversRequired: 2, firstApproval: "alice", want: cards.ErrNotAllowed},
		{name: "same approver twice with spaces", kind: cards.Approve, actor: " alice", approversRequired: 2, firstApproval: "alice", want: cards.ErrNotAllowed},
		{name: "reject without comment", kind: cards.Reject, actor: "alice", want: cards.ErrInvalidDecision},
		{name: "reject with blank comment", kind: cards.Reject, actor: "alice", comment: " \t", want: cards.ErrInvalidDecision},
		{name: "cancel by another", kind: cards.Cancel, actor: "mallory", want: cards.ErrNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			required := tc.approversRequired
			if required == 0 {
				required = 1
			}
			f := newFixture(t, required)
			if tc.firstApproval != "" {
				f.at(time.Minute, func() { f.signal(cards.Approve, tc.firstApproval, "") })
			}
			var u *sent
			var after cards.Status
			f.at(2*time.Minute, func() { u = f.decide(tc.kind, tc.actor, tc.comment) })
			f.at(3*time.Minute, func() { after = f.query() })
			// End the request: the requester withdraws it.
			f.at(4*time.Minute, func() { f.signal(cards.Cancel, "olivia", "done testing") })
			s, err := f.run()
			require.NoError(t, err)

			requireRefused(t, u, tc.want)
			require.Equal(t, cards.StateRequested, after.State, "a refused update changes nothing")
			if tc.firstApproval != "" {
				require.Len(t, after.Approvals, 1)
			} else {
				require.Empty(t, after.Approvals)
			}
			require.Empty(t, after.Ignored, "refused updates are answered, not recorded as ignored")
			require.Equal(t, cards.StateAborted, s.State)
			require.Len(t, f.transitions, 1)
			require.Equal(t, "olivia", f.transitions[0].Actor)
		})
	}
}

// TestSignalsBreakingARuleAreIgnoredAndRecorded is the signal twin of the
// validator test: the workflow does not fail, the card stays requested and
// the reason is kept in the status.
func TestSignalsBreakingARuleAreIgnoredAndRecorded(t *testing.T) {
	for _, tc := range []struct {
		name, kind        string
		payload           any
		actor             string
		reason            string
		approversRequired int
		firstApproval     string
	}{
		{name: "empty actor", kind: cards.Approve, payload: cards.DecisionInput{Comment: "x"}, reason: "InvalidDecision: approve needs an actor"},
		{name: "null payload", kind: cards.Approve, payload: nil, reason: "InvalidDecision: approve needs an actor"},
		{name: "requester approves", kind: cards.Approve, payload: cards.DecisionInput{Actor: "olivia"}, actor: "olivia", reason: "NotAllowed: olivia requested this card and cannot approve it"},
		{name: "requester rejects", kind: cards.Reject, payload: cards.DecisionInput{Actor: "olivia", Comment: "x"}, actor: "olivia", reason: "NotAllowed: olivia requested this card"},
		{name: "same approver twice", kind: cards.Approve, payload: cards.DecisionInput{Actor: "alice"}, actor: "alice", approversRequired: 2, firstApproval: "alice", reason: "NotAllowed: alice already approved this card"},
		{name: "reject without comment", kind: cards.Reject, payload: cards.DecisionInput{Actor: "alice"}, actor: "alice", reason: "InvalidDecision: a rejection needs a reason"},
		{name: "cancel by another", kind: cards.Cancel, payload: cards.DecisionInput{Actor: "mallory"}, actor: "mallory", reason: "NotAllowed: only the requester (olivia) may cancel this request, not mallory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			required := tc.approversRequired
			if required == 0 {
				required = 1
			}
			f := newFixture(t, required)
			if tc.firstApproval != "" {
				f.at(time.Minute, func() { f.signal(cards.Approve, tc.firstApproval, "") })
			}
			var after cards.Status
			f.at(2*time.Minute, func() { f.env.SignalWorkflow(tc.kind, tc.payload) })
			f.at(3*time.Minute, func() { after = f.query() })
			f.at(4*time.Minute, func() { f.signal(cards.Cancel, "olivia", "") })
			s, err := f.run()
			require.NoError(t, err, "an invalid signal never fails the workflow")

			require.Equal(t, cards.StateRequested, after.State)
			require.Len(t, after.Ignored, 1)
			ig := after.Ignored[0]
			require.Equal(t, tc.kind, ig.Signal)
			require.Equal(t, tc.actor, ig.Actor)
			require.True(t, strings.HasPrefix(ig.Reason, tc.reason), "reason %q, want prefix %q", ig.Reason, tc.reason)
			if tc.firstApproval != "" {
				require.Len(t, after.Approvals, 1, "the repeated approval does not count")
			} else {
				require.Empty(t, after.Approvals)
			}

			require.Equal(t, cards.StateAborted, s.State)
			require.Len(t, s.Ignored, 1, "the result keeps the ignored signal")
			require.Len(t, f.transitions, 1, "only the requester's cancel is written")
			require.Equal(t, "cancelled by the requester", f.transitions[0].Comment)
		})
	}
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

// TestDecisionsOnceFinalAreRefused sends decisions in the same instant as
// the one that decides, after it: updates are refused with AlreadyDecided,
// signals are ignored with that reason, and nothing else is written. The
// deciding message is the requester's cancel, which needs no directory read
// and so takes effect at once (an approval or rejection waits for its
// directory check, and a cancel arriving meanwhile overtakes it).
func TestDecisionsOnceFinalAreRefused(t *testing.T) {
	f := newFixture(t, 1)
	var approve, reject *sent
	f.at(time.Minute, func() {
		f.signal(cards.Cancel, "olivia", "")
		approve = f.decide(cards.Approve, "bob", "")
		reject = f.decide(cards.Reject, "alice", "no budget")
		f.signal(cards.Reject, "alice", "no budget")
		f.signal(cards.Approve, "bob", "")
	})
	s, err := f.run()
	require.NoError(t, err)

	requireRefusedOrFailed(t, approve, cards.ErrAlreadyDecided)
	require.Contains(t, approve.err.Error(), "already aborted")
	requireRefusedOrFailed(t, reject, cards.ErrAlreadyDecided)
	require.Equal(t, cards.StateAborted, s.State)
	require.Len(t, f.transitions, 1)
	require.Len(t, s.Ignored, 2)
	for _, ig := range s.Ignored {
		require.True(t, strings.HasPrefix(ig.Reason, "AlreadyDecided: the card is already aborted"), ig.Reason)
	}
	require.Empty(t, f.authorized, "no directory read for decisions after the end")
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
	options := map[string]workflow.ActivityOptions{}
	f.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&activityOptionsSpy{seen: options}}})
	_, err := f.run()
	require.NoError(t, err)
	require.Contains(t, options, "PersistCard")
	require.True(t, options["PersistCard"].WaitForCancellation, "PersistCard must wait for cancellation")
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

func TestRefusalsWriteNothingAndReportRefused(t *testing.T) {
	for _, tc := range []struct {
		errType     string
		persistCall int
		set         func(*fixture, error)
	}{
		{cards.ErrUnknownCardType, 0, func(f *fixture, err error) { f.resolveErr = err }},
		{cards.ErrUseCaseDisabled, 0, func(f *fixture, err error) { f.resolveErr = err }},
		{cards.ErrUserNotFound, 0, func(f *fixture, err error) { f.userErr = err }},
		{cards.ErrUserNotActive, 0, func(f *fixture, err error) { f.userErr = err }},
		{cards.ErrDuplicateOpenRequest, 1, func(f *fixture, err error) { f.persistErr = err }},
	} {
		t.Run(tc.errType, func(t *testing.T) {
			f := newFixture(t, 1)
			states := f.watchStates()
			tc.set(f, temporal.NewNonRetryableApplicationError("refused: "+tc.errType, tc.errType, nil))
			var persisted *sent
			f.at(0, func() { persisted = f.send(workflows.PersistedUpdate) })
			_, err := f.run()

			require.Equal(t, tc.errType, errType(err), "workflow error %v", err)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.True(t, appErr.NonRetryable())
			require.Contains(t, appErr.Error(), "refused: "+tc.errType)

			require.True(t, persisted.accepted)
			require.True(t, persisted.completed)
			require.Equal(t, tc.errType, errType(persisted.err), "the persisted update returns the refusal")

			f.env.AssertActivityNumberOfCalls(t, "PersistCard", tc.persistCall)
			f.env.AssertActivityNotCalled(t, "TransitionCard", mock.Anything, mock.Anything)
			require.Equal(t, "refused", (*states)[len(*states)-1], "CardRequestState is refused")
			s := f.query()
			require.Equal(t, cards.StateRefused, s.State)
		})
	}
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

func TestBadSignalPayloadsAreIgnored(t *testing.T) {
	plain := func(encoding, data string) converter.RawValue {
		return converter.NewRawValue(&commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(encoding)}, Data: []byte(data)})
	}
	stringPayload, err := converter.GetDefaultDataConverter().ToPayload("not an object")
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		payload converter.RawValue
	}{
		{"a JSON string", converter.NewRawValue(stringPayload)},
		{"garbage json/plain", plain("json/plain", "{actor: ")},
		{"a JSON array", plain("json/plain", `["alice"]`)},
		{"unknown encoding", plain("binary/x-custom", "alice")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			var after cards.Status
			f.at(time.Minute, func() { f.env.SignalWorkflow(cards.Approve, tc.payload) })
			f.at(2*time.Minute, func() { after = f.query() })
			f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
			s, err := f.run()
			require.NoError(t, err)

			require.Equal(t, cards.StateRequested, after.State)
			require.Empty(t, after.Approvals)
			require.Len(t, after.Ignored, 1)
			require.Equal(t, cards.Approve, after.Ignored[0].Signal)
			require.Contains(t, after.Ignored[0].Reason, "payload is not")
			require.Equal(t, cards.StateApproved, s.State, "the workflow goes on after a bad payload")
			require.Len(t, s.Ignored, 1)
		})
	}
}

func TestIgnoredListIsBounded(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() {
		for i := range 60 {
			f.signal(cards.Cancel, fmt.Sprintf("intruder-%02d", i), "")
		}
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 50, "the ignored list keeps the latest 50")
	require.Equal(t, "intruder-10", s.Ignored[0].Actor, "the oldest entries are dropped")
	require.Equal(t, "intruder-59", s.Ignored[len(s.Ignored)-1].Actor, "the newest entry is kept")
}

// TestSignalArrivingWithTheFinalWriteIsRecorded delivers a signal in the same
// workflow task as TransitionCard's result, after which the workflow returns
// at once: the signal is drained and recorded, not lost.
func TestSignalArrivingWithTheFinalWriteIsRecorded(t *testing.T) {
	f := newFixture(t, 1)
	f.onTransition = func() {
		f.env.SignalWorkflowSkippingWorkflowTask(cards.Reject, cards.DecisionInput{Actor: "carl", Comment: "too late"})
	}
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 1, "the late signal is in the result")
	require.Equal(t, "carl", s.Ignored[0].Actor)
	require.Equal(t, cards.Reject, s.Ignored[0].Signal)
	require.True(t, strings.HasPrefix(s.Ignored[0].Reason, "AlreadyDecided: the card is already approved"), s.Ignored[0].Reason)
}
