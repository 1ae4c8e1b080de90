package requestcard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// E-mail and the approval's timers: the requested and decided e-mails are
// queued with the card's writes, the reminder runs on its own timer.

// The requested and decided e-mails are queued with the card's writes
// (PersistCard and TransitionCard carry them); only the reminder, on its
// timer, runs the Notify activity.
func TestNotificationsFollowTheCard(t *testing.T) {
	f := newFixture(t, 2)
	f.policy.Notify = true
	f.policy.RemindBefore = 24 * time.Hour
	var afterReminder cards.Status
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(145*time.Hour, func() { afterReminder = f.query() })
	f.at(146*time.Hour, func() { f.signal(cards.Approve, "bob", "") })
	s, err := f.run()
	require.NoError(t, err)

	require.Len(t, f.persisted, 1)
	requested := f.persisted[0].Notify
	require.NotNil(t, requested, "the requested e-mails are queued with the card")
	require.Equal(t, activities.NotifyRequested, requested.Event)
	require.Equal(t, s.ExpiresAt.UTC(), requested.ExpiresAt.UTC(), "the e-mail gives the expiry the status shows")
	require.Equal(t, "Ada Lovelace", requested.CommonName)

	require.Len(t, f.notified, 1, "only the reminder runs as an activity")
	require.Equal(t, activities.NotifyReminder, f.notified[0].Event)
	require.Equal(t, []string{"alice"}, f.notified[0].Acted, "no reminder for who already approved")
	require.Len(t, afterReminder.Notifications, 1)

	require.Len(t, f.transitions, 1)
	decided := f.transitions[0].Notify
	require.NotNil(t, decided, "the decided e-mails are queued with the decision")
	require.Equal(t, activities.NotifyDecided, decided.Event)
	require.Equal(t, cards.StateApproved, decided.Decision.To)
	require.Equal(t, "bob", decided.Decision.Actor)
	require.Len(t, s.Notifications, 1, "the result lists the reminder's outcome")
}

func TestNoReminderOnceDecidedAndNoneWhenOff(t *testing.T) {
	f := newFixture(t, 1)
	f.policy.Notify = true
	f.policy.RemindBefore = 24 * time.Hour
	f.at(time.Hour, func() { f.signal(cards.Approve, "alice", "") })
	f.at(200*time.Hour, func() {}) // time passes beyond the reminder's moment
	_, err := f.run()
	require.NoError(t, err)
	require.Empty(t, f.notified, "no reminder once the card is decided")
	require.NotNil(t, f.persisted[0].Notify)
	require.NotNil(t, f.transitions[0].Notify)

	off := newFixture(t, 1)
	off.at(time.Hour, func() { off.signal(cards.Approve, "alice", "") })
	_, err = off.run()
	require.NoError(t, err)
	require.Empty(t, off.notified, "no notification work when the worker has no SMTP")
	require.Nil(t, off.persisted[0].Notify)
	require.Nil(t, off.transitions[0].Notify)
}

// The decision is answered first; a slow or failing reminder neither
// delays the answer nor fails the workflow.
func TestNotificationNeverDelaysOrFailsTheDecision(t *testing.T) {
	f := newFixture(t, 1)
	f.policy.Notify = true
	f.policy.RemindBefore = 24 * time.Hour
	f.notifyCall.After(2 * time.Hour)
	f.notifyErr = temporal.NewNonRetryableApplicationError("smtp: 550 mailbox unavailable", "SMTPPermanent", nil)
	var approve *sent
	var remindedAt, answeredAt time.Time
	f.at(144*time.Hour+time.Minute, func() {
		remindedAt = f.env.Now()
		approve = f.decide(cards.Approve, "alice", "")
	})
	f.at(144*time.Hour+time.Minute+time.Second, func() {
		require.True(t, approve.completed, "the decision answers while the reminder is still being sent")
		answeredAt = f.env.Now()
	})
	s, err := f.run()
	require.NoError(t, err)
	requireDone(t, approve)
	require.Less(t, answeredAt.Sub(remindedAt), time.Minute)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.notified, 1)
	require.Len(t, s.Notifications, 1)
	require.Contains(t, s.Notifications[0].Outcome, "failed: smtp: 550 mailbox unavailable")
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
