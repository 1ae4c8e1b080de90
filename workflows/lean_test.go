package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// A client that sets the search attributes at start (the starter, the
// console) saves the workflow its first upsert: it upserts only when the
// card's state changes.
func TestSearchAttributesSetAtStartAreNotUpsertedAgain(t *testing.T) {
	f := newFixture(t, 1)
	require.NoError(t, f.env.SetTypedSearchAttributesOnStart(workflows.StartSearchAttributes(
		workflows.RequestCardInput{CardID: "c1", UserID: "u1", RequestedBy: "olivia"})))
	states := f.watchStates()
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, []string{"requested", "approved"}, *states)

	bare := newFixture(t, 1)
	bareStates := bare.watchStates()
	bare.at(time.Minute, func() { bare.signal(cards.Approve, "alice", "") })
	_, err = bare.run()
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "requested", "approved"}, *bareStates,
		"started without search attributes (plain `temporal workflow start`): listed as pending from the first task")
}

// One timer at a time: the reminder's, then the approval timeout's; a card
// decided before the reminder starts one timer in all.
func TestOneTimerAtATime(t *testing.T) {
	for _, tc := range []struct {
		name       string
		decideAt   time.Duration
		wantTimers []time.Duration
		wantState  cards.State
	}{
		{"decided before the reminder", time.Hour, []time.Duration{144 * time.Hour}, cards.StateApproved},
		{"decided after the reminder", 150 * time.Hour, []time.Duration{144 * time.Hour, 24 * time.Hour}, cards.StateApproved},
		{"never decided", 0, []time.Duration{144 * time.Hour, 24 * time.Hour}, cards.StateAborted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.policy.Notify = true
			f.policy.RemindBefore = 24 * time.Hour
			var timers []time.Duration
			open := 0
			f.env.SetOnTimerScheduledListener(func(_ string, d time.Duration) {
				timers = append(timers, d)
				open++
				require.Equal(t, 1, open, "a second timer while one runs")
			})
			f.env.SetOnTimerFiredListener(func(string) { open-- })
			f.env.SetOnTimerCanceledListener(func(string) { open-- })
			if tc.decideAt > 0 {
				f.at(tc.decideAt, func() { f.signal(cards.Approve, "alice", "") })
			}
			s, err := f.run()
			require.NoError(t, err)
			require.Equal(t, tc.wantState, s.State)
			require.Equal(t, tc.wantTimers, timers)
		})
	}
}

// Signals that arrive while the card is being written wait for it, then
// count: nothing is lost for arriving early.
func TestSignalBeforeTheCardIsWrittenCountsOnceItIs(t *testing.T) {
	f := newFixture(t, 1)
	f.persistCall.After(time.Minute)
	f.at(time.Second, func() { f.signal(cards.Approve, "alice", "early") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 1)
	require.Equal(t, "early", s.Approvals[0].Comment)
	require.Empty(t, s.Ignored)
}
