package requestcard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// A decision whose directory check waits out a database outage must not
// approve the card after its approval timeout: the timeout stands, and the
// late decision is ignored (signal) or refused (update) with the reason.
func TestDecisionCheckedAfterTheTimeoutDoesNotApprove(t *testing.T) {
	for _, byUpdate := range []bool{false, true} {
		name := "signal"
		if byUpdate {
			name = "update"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.policy.ApprovalTimeout = time.Hour
			start := f.env.Now()
			f.directoryDown = func() bool {
				since := f.env.Now().Sub(start)
				return since >= 58*time.Minute && since < 60*time.Minute+5*time.Second
			}
			var u *sent
			f.at(59*time.Minute, func() {
				if byUpdate {
					u = f.decide(cards.Approve, "alice", "")
				} else {
					f.signal(cards.Approve, "alice", "")
				}
			})
			s, err := f.run()
			require.NoError(t, err)

			require.Len(t, f.transitions, 1)
			tr := f.transitions[0]
			require.Equal(t, cards.StateAborted, tr.To, "the card was %s by %s %s after the start (timeout 1h)", tr.To, tr.Actor, tr.At.Sub(start))
			require.Equal(t, cards.SystemActor, tr.Actor)
			require.Contains(t, tr.Comment, "approval timed out")
			require.Equal(t, cards.StateAborted, s.State)
			require.Empty(t, s.Approvals)
			if byUpdate {
				require.True(t, u.completed, "the update is answered")
				require.Error(t, u.err, "the late approval is refused")
				require.Contains(t, u.err.Error(), "approval timed out")
				return
			}
			require.Len(t, s.Ignored, 1, "the late signal is recorded as ignored: %+v", s.Ignored)
			require.Equal(t, "alice", s.Ignored[0].Actor)
			require.Contains(t, s.Ignored[0].Reason, "approval timed out at")
		})
	}
}

// An update that decided the card answers with the written outcome even if
// the workflow is cancelled while that write is in flight: the approver
// must not be told "canceled" about an approval that is stored.
func TestWorkflowCancelDuringTheDecisionsWriteAnswersTheWrite(t *testing.T) {
	f := newFixture(t, 1)
	f.transitionCall.After(time.Minute)
	var u *sent
	f.at(time.Minute, func() { u = f.decide(cards.Approve, "alice", "") })
	f.at(time.Minute+10*time.Second, func() { f.env.CancelWorkflow() })
	_, _ = f.run()

	require.Len(t, f.transitions, 1, "the decision is written once")
	require.Equal(t, cards.StateApproved, f.transitions[0].To)
	require.Equal(t, "alice", f.transitions[0].Actor)
	require.True(t, u.accepted)
	require.True(t, u.completed)
	require.NoError(t, u.err, "the update answers with the written approval, not a cancellation")
	require.Equal(t, cards.StateApproved, u.status.State)
}

// Executions that took the late decision or the cancelled wait before those
// fixes recorded no marker of their change ids: replaying them must keep
// the old answers, or their histories would no longer match.
func TestHistoriesBeforeTheRaceFixesKeepTheirBehaviour(t *testing.T) {
	t.Run("late decision", func(t *testing.T) {
		f := newFixture(t, 1)
		f.lean()
		f.env.OnGetVersion("decision-after-expiry", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		f.policy.ApprovalTimeout = time.Hour
		start := f.env.Now()
		f.directoryDown = func() bool {
			since := f.env.Now().Sub(start)
			return since >= 58*time.Minute && since < 60*time.Minute+5*time.Second
		}
		f.at(59*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
		s, err := f.run()
		require.NoError(t, err)
		require.Equal(t, cards.StateApproved, s.State, "the old path approves late, as those histories recorded")
	})
	t.Run("cancelled wait", func(t *testing.T) {
		f := newFixture(t, 1)
		f.lean()
		f.env.OnGetVersion("decision-update-waits-for-write", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		f.transitionCall.After(time.Minute)
		var u *sent
		f.at(time.Minute, func() { u = f.decide(cards.Approve, "alice", "") })
		f.at(time.Minute+10*time.Second, func() { f.env.CancelWorkflow() })
		_, _ = f.run()
		require.True(t, u.completed)
		require.True(t, temporal.IsCanceledError(u.err), "the old path answers canceled, got %v", u.err)
	})
}
