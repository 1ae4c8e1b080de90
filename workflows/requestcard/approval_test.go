package requestcard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
)

// Version 3: the request's approval runs on the shared process: postpone
// is taken, every vote is an audit row, and the approvals row is opened
// with the card and closed with the decision, by the card's own writes.
func TestPostponeThenApproveOnTheSharedProcess(t *testing.T) {
	f := newFixture(t, 1)
	var postponed, approved *sent
	var during cards.Status
	f.at(time.Minute, func() { postponed = f.decide(approval.PostponeUpdate, "alice", "after the audit") })
	f.at(2*time.Minute, func() { during = f.query() })
	f.at(time.Hour, func() { approved = f.decide(cards.Approve, "alice", "audit done") })
	s, err := f.run()
	require.NoError(t, err)
	requireDone(t, postponed)
	requireDone(t, approved)
	require.Equal(t, cards.StateRequested, during.State, "a postponement changes nothing else")
	require.Len(t, during.Postponed, 1)
	require.Equal(t, "after the audit", during.Postponed[0].Comment)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.opened, 1)
	require.Equal(t, approval.OperationRequest, f.opened[0].Operation)
	require.Equal(t, "u1", f.opened[0].HolderID)
	require.Len(t, f.votes, 1, "version 4: the postponement is recorded as it is taken; the deciding approval with the decision")
	require.Equal(t, approval.PostponeUpdate, f.votes[0].Kind)
	require.Equal(t, approval.Approved, f.closed[0].State)
	require.Len(t, f.transitions, 1)
	require.Equal(t, "alice", f.transitions[0].Approvals[0].Actor)
	vote := f.transitions[0].Vote
	require.NotNil(t, vote, "the deciding vote goes with the decision's write")
	require.Equal(t, cards.Approve, vote.Kind)
	require.Equal(t, "alice", vote.Actor)
	require.Equal(t, "audit done", vote.Comment)
	require.NotEqual(t, f.votes[0].Token, vote.Token)
	require.Zero(t, f.processWrites, "the process writes no approvals row of its own for Request card")
}

// Version 3 executions still write every vote with RecordVote, the
// deciding one included, and send none with the decision.
func TestVersionThreeRecordsTheDecidingVoteItself(t *testing.T) {
	f := newFixture(t, 1)
	f.shared3()
	var postponed, approved *sent
	f.at(time.Minute, func() { postponed = f.decide(approval.PostponeUpdate, "alice", "after the audit") })
	f.at(time.Hour, func() { approved = f.decide(cards.Approve, "alice", "audit done") })
	s, err := f.run()
	require.NoError(t, err)
	requireDone(t, postponed)
	requireDone(t, approved)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.votes, 2)
	require.Equal(t, cards.Approve, f.votes[1].Kind)
	require.Len(t, f.transitions, 1)
	require.Nil(t, f.transitions[0].Vote)
}

// A rejection decides at once: with two approvals required, the first
// approval is recorded as it is taken and the rejection with the decision.
func TestRejectionAfterAnApprovalGoesWithTheDecision(t *testing.T) {
	f := newFixture(t, 2)
	f.at(time.Minute, func() { f.decide(cards.Approve, "alice", "fine") })
	f.at(2*time.Minute, func() { f.decide(cards.Reject, "bob", "no budget") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateRejected, s.State)
	require.Len(t, f.votes, 1)
	require.Equal(t, cards.Approve, f.votes[0].Kind)
	require.NotNil(t, f.transitions[0].Vote)
	require.Equal(t, cards.Reject, f.transitions[0].Vote.Kind)
	require.Equal(t, "bob", f.transitions[0].Vote.Actor)
	require.Equal(t, approval.Rejected, f.closed[0].State)
}

// A request that timed out closes its row as timedOut, while the card
// shows aborted.
func TestTimeoutClosesTheApprovalAsTimedOut(t *testing.T) {
	f := newFixture(t, 1)
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateAborted, s.State)
	require.Len(t, f.closed, 1)
	require.Equal(t, approval.TimedOut, f.closed[0].State)
	require.Zero(t, f.processWrites)
}

// A cancel by the requester ends the shared process as aborted.
func TestCancelClosesTheApprovalAsAborted(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() { f.signal(cards.Cancel, "olivia", "not needed") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateAborted, s.State)
	require.Equal(t, "olivia", s.Decision.Actor)
	require.Equal(t, approval.Aborted, f.closed[0].State)
}

// Version 2 executions keep their own approval code: no approvals row.
func TestVersionTwoKeepsItsOwnApproval(t *testing.T) {
	f := newFixture(t, 1)
	f.lean()
	var u *sent
	f.at(time.Minute, func() { u = f.decide(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	requireDone(t, u)
	require.Equal(t, cards.StateApproved, s.State)
	require.Empty(t, f.opened)
	require.Empty(t, f.votes)
	require.Empty(t, f.closed)
}
