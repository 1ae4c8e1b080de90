package requestcard_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// Refusals and failures before the card exists: a business rule refuses
// and writes nothing; an infrastructure error is retried, shown in the
// waiting line, and fails the request only when its window runs out.

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
		// The requester lacks the role (or is not a user): the directory says no.
		{cards.ErrNotAllowed, 0, func(f *fixture, err error) { f.userErr = err }},
		{cards.ErrDuplicateOpenRequest, 1, func(f *fixture, err error) { f.persistErr = err }},
	} {
		t.Run(tc.errType, func(t *testing.T) {
			f := newFixture(t, 1)
			states := f.watchStates()
			tc.set(f, temporal.NewNonRetryableApplicationError("refused: "+tc.errType, tc.errType, nil))
			var persisted *sent
			f.at(0, func() { persisted = f.send(requestcard.PersistedUpdate) })
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

// An infrastructure error is not a refusal: the read falls back to a
// regular activity and is retried until the database answers. (The test
// environment caps unlimited retries at 10 attempts per activity, so the
// outages here are a little over a minute of workflow time.)
func TestDatabaseOutageDuringTheChecksRefusesNothing(t *testing.T) {
	f := newFixture(t, 0)
	f.prepareFailures = 14
	f.persistFailures = 8
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.persisted, 1, "written once the database is back")
	require.Empty(t, s.Waiting, "the waiting line is cleared once the step succeeds")
	require.Equal(t, 15, f.prepareCalls)
	require.Equal(t, 9, f.persistCalls)
}

func TestWaitingLineWhileRetrying(t *testing.T) {
	f := newFixture(t, 1)
	// Enough failures to outlast the first try (local, 10 s) and the
	// regular activity's first retries.
	f.persistFailures = 14
	var waiting cards.Status
	f.at(30*time.Second, func() { waiting = f.query() })
	f.at(5*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, cards.StatePending, waiting.State)
	require.Contains(t, waiting.Waiting, "Persist card failed: persist card: pq: the database system is starting up; retrying until it works (up to 1h0m0s)")
}

// Retries that run out end the request with an infrastructure error, not a
// refusal, and nothing is written.
func TestRetriesThatRunOutFailTheRequestNotRefuseIt(t *testing.T) {
	f := newFixture(t, 1)
	f.policy.RetryFor = 10 * time.Minute
	f.prepareFailures = 1 << 30
	_, err := f.run()
	require.Equal(t, cards.ErrInfrastructureUnavailable, errType(err))
	require.Contains(t, err.Error(), "Check user and requester did not succeed within 10m0s")
	require.Contains(t, err.Error(), "connection refused")
	require.Empty(t, f.persisted)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr) && !cards.IsBusinessError(appErr.Type()))
}
