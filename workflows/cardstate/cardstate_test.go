package cardstate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
	"github.com/cardflow/cardflow/workflows/lane"
)

func TestDeactivateHoldsThenMarksInactive(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	s, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateInactive, s.State)
	require.Equal(t, []string{"check deactivate", "hold", "transition deactivate"}, f.calls)
}

func TestARefusedCheckTouchesNothing(t *testing.T) {
	for _, wf := range []any{DeactivateCard, ReactivateCard, LockCard} {
		f := newFixture(t, wf)
		f.checkErr = refusal(cards.ErrInvalidState, "card c1 is issued; Deactivate card needs active")
		_, err := f.run(wf, Input{CardID: "c1", Operator: "olivia", Comment: "lost"})
		require.Equal(t, cards.ErrInvalidState, errType(err))
		require.Len(t, f.calls, 1, "only the check: %v", f.calls)
	}
}

func TestReactivateReleasesThenMarksActive(t *testing.T) {
	f := newFixture(t, ReactivateCard)
	f.plan.From = cards.StateInactive
	s, err := f.run(ReactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateActive, s.State)
	require.Equal(t, []string{"check reactivate", "release", "transition reactivate"}, f.calls)
}

func TestAReactivationRefusedAfterTheReleaseHoldsAgain(t *testing.T) {
	f := newFixture(t, ReactivateCard)
	f.transitionErr = refusal(cards.ErrAnotherActiveCard, "carol already has an active standard card, c0")
	_, err := f.run(ReactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.Equal(t, cards.ErrAnotherActiveCard, errType(err))
	require.Equal(t, []string{"check reactivate", "release", "transition reactivate", "hold"}, f.calls)
}

func TestLockRevokesForGoodThenMarksLocked(t *testing.T) {
	f := newFixture(t, LockCard)
	s, err := f.run(LockCard, Input{CardID: "c1", Operator: "olivia", Comment: "left the company"})
	require.NoError(t, err)
	require.Equal(t, cards.StateLocked, s.State)
	require.Equal(t, []string{"check lock", "revoke cessationOfOperation", "transition lock"}, f.calls)
	require.Equal(t, []string{"11", "22"}, f.revoked[0].Serials)
}

func TestACompromisedLockRevokesWithKeyCompromise(t *testing.T) {
	f := newFixture(t, LockCard)
	_, err := f.run(LockCard, Input{CardID: "c1", Operator: "olivia", Comment: "PIN seen", Compromised: true})
	require.NoError(t, err)
	require.Equal(t, []string{"check lock", "revoke keyCompromise", "transition lock"}, f.calls)
}

// A CA that fails is retried: the card is marked locked only once the
// revocation worked.
func TestLockWaitsForTheCAUntilItRevokes(t *testing.T) {
	f := newFixture(t, LockCard)
	f.caFailures = 3
	_, err := f.run(LockCard, Input{CardID: "c1", Operator: "olivia", Comment: "lost"})
	require.NoError(t, err)
	require.Equal(t, 0, f.caFailures)
	require.Equal(t, []string{"check lock", "revoke cessationOfOperation", "transition lock"}, f.calls)
}

func TestWithoutApprovalRequiredTheApprovalIsNeverOpened(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	_, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.NotContains(t, f.calls, "open deactivation")
}

func TestAnApprovedDeactivationRunsItsTransition(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	f.requireApproval()
	s, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateInactive, s.State)
	require.Equal(t, []string{"check deactivate", "open deactivation", "hold", "transition deactivate"}, f.calls)
	require.Equal(t, approval.Request{CardID: "c1", Operation: approval.OperationDeactivation, RequestedBy: "olivia", HolderID: "carol", CardType: "standard"}, f.approval.req)
	require.Equal(t, approval.Policy{Required: true, Approvers: 1, ApproverRole: "approver", Timeout: 48 * time.Hour}, f.approval.pol)
}

func TestARejectedOrTimedOutApprovalEndsAbortedWithTheCardUnchanged(t *testing.T) {
	for _, out := range []approval.Outcome{
		{Decision: approval.Rejected, Actor: "alice", Comment: "still in use"},
		{Decision: approval.TimedOut},
	} {
		f := newFixture(t, ReactivateCard)
		f.plan.From = cards.StateInactive
		f.requireApproval()
		f.approval.outcome = out
		s, err := f.run(ReactivateCard, Input{CardID: "c1", Operator: "olivia"})
		require.NoError(t, err)
		require.Equal(t, cards.StateInactive, s.State)
		require.NotEmpty(t, s.Aborted)
		require.Equal(t, []string{"check reactivate", "open reactivation", "abort"}, f.calls)
		require.Equal(t, cards.StateInactive, f.aborts[0].From)
	}
}

func TestTheStatusSaysWhileTheOperationWaitsForApproval(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	f.requireApproval()
	var during lane.Status
	f.env.RegisterDelayedCallback(func() {
		v, err := f.env.QueryWorkflow(lane.StatusQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
	}, 10*time.Minute)
	_, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.True(t, during.AwaitingApproval)
	require.Equal(t, "waiting for approval", during.Step)
}

func TestLockPreemptsADeactivationWaitingForApproval(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	f.requireApproval()
	u := f.preempt(10*time.Minute, lane.Preemption{Type: LockType, Operator: "otto", Comment: "lost"})
	s, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.True(t, u.accepted && u.completed, "%+v", u)
	require.NoError(t, u.err)
	require.Equal(t, cards.StateActive, s.State, "the card is unchanged")
	require.Contains(t, s.Aborted, "Lock card by otto pre-empted it")
	require.Equal(t, []string{"check deactivate", "open deactivation", "check lock", "abort"}, f.calls)
	require.Len(t, f.approval.aborted, 1, "the approval is closed")
	require.Equal(t, "otto", f.aborts[0].Actor)
}

// A Lock that would be refused (here: not allowed) pre-empts nothing: the
// deactivation goes on waiting and runs once approved.
func TestARefusedLockPreemptsNothing(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	f.requireApproval()
	f.lockCheckErr = refusal(cards.ErrNotAllowed, `operator "mallory" does not hold role "operator"`)
	u := f.preempt(10*time.Minute, lane.Preemption{Type: LockType, Operator: "mallory", Comment: "x"})
	s, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.ErrNotAllowed, errType(u.err))
	require.Equal(t, cards.StateInactive, s.State)
	require.Empty(t, f.approval.aborted)
	require.Equal(t, []string{"check deactivate", "open deactivation", "check lock", "hold", "transition deactivate"}, f.calls)
}

// Once the wait is over (or without approval) the operation's CA step and
// transition are never interrupted: the pre-emption is refused CardBusy.
func TestNoPreemptionOutsideTheApprovalWait(t *testing.T) {
	f := newFixture(t, DeactivateCard)
	f.caFailures = 3 // the hold is retried for a while: time to try
	u := f.preempt(time.Second, lane.Preemption{Type: LockType, Operator: "otto", Comment: "lost"})
	s, err := f.run(DeactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.True(t, u.rejected, "%+v", u)
	require.Equal(t, cards.ErrCardBusy, errType(u.err))
	require.Equal(t, cards.StateInactive, s.State)
}

func TestACancelledWaitClosesTheApprovalAndEndsAborted(t *testing.T) {
	f := newFixture(t, ReactivateCard)
	f.plan.From = cards.StateInactive
	f.requireApproval()
	f.env.RegisterDelayedCallback(f.env.CancelWorkflow, 10*time.Minute)
	s, err := f.run(ReactivateCard, Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateInactive, s.State)
	require.Len(t, f.approval.aborted, 1)
	require.Equal(t, []string{"check reactivate", "open reactivation", "abort"}, f.calls)
}
