package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// Tests of versionDirectory: roles checked against the directory,
// infrastructure errors retried instead of refusing, and notifications.

func notAllowed(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, cards.ErrNotAllowed, nil)
}

func TestRequesterRefusedByTheDirectoryWritesNothing(t *testing.T) {
	f := newFixture(t, 1)
	f.userErr = notAllowed(`requester "olivia" does not hold role "operator"`)
	persisted := &sent{}
	f.at(0, func() { persisted = f.send("persisted") })
	_, err := f.run()
	require.Equal(t, cards.ErrNotAllowed, errType(err))
	require.Contains(t, err.Error(), `does not hold role "operator"`)
	require.Empty(t, f.persisted, "nothing is written for a refused requester")
	require.Equal(t, cards.ErrNotAllowed, errType(persisted.err), "the persisted update answers with the refusal")
}

func TestApproverRefusedByTheDirectory(t *testing.T) {
	f := newFixture(t, 1)
	f.authorizeErr = map[string]error{
		"mallory": notAllowed("mallory is not a user of the directory"),
		"bob":     notAllowed(`bob does not hold role "approver"`),
	}
	var byUpdate *sent
	f.at(time.Minute, func() { byUpdate = f.decide(cards.Approve, "mallory", "I say so") })
	f.at(2*time.Minute, func() { f.signal(cards.Reject, "bob", "no") })
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)

	require.True(t, byUpdate.accepted && byUpdate.completed, "the validator cannot read the directory: the handler refuses")
	require.Equal(t, cards.ErrNotAllowed, errType(byUpdate.err))
	require.Contains(t, byUpdate.err.Error(), "not a user of the directory")
	require.Len(t, s.Ignored, 1)
	require.Equal(t, "bob", s.Ignored[0].Actor)
	require.Equal(t, `NotAllowed: bob does not hold role "approver"`, s.Ignored[0].Reason)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 1)
	require.Equal(t, "alice", s.Approvals[0].Actor, "refused approvers are not counted")
	require.Equal(t, []string{"mallory", "bob", "alice"}, f.authorized)
}

func TestCardsOwnUserCannotDecide(t *testing.T) {
	f := newFixture(t, 1)
	var approve *sent
	f.at(time.Minute, func() {
		approve = f.decide(cards.Approve, "u1", "my own card")
		f.signal(cards.Reject, "u1", "mine")
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	requireRefused(t, approve, cards.ErrNotAllowed)
	require.Contains(t, approve.err.Error(), "the user this card is for")
	require.Len(t, s.Ignored, 1)
	require.Contains(t, s.Ignored[0].Reason, "the user this card is for")
	require.Equal(t, []string{"alice"}, f.authorized, "the cheap rule refuses before any directory read")
}

// A role removed after the request no longer counts: the directory is read
// when each decision arrives.
func TestRoleRemovedAfterTheRequestNoLongerCounts(t *testing.T) {
	f := newFixture(t, 2)
	var second *sent
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(2*time.Minute, func() {
		f.authorizeErr = map[string]error{"bob": notAllowed(`bob does not hold role "approver"`)}
		second = f.decide(cards.Approve, "bob", "")
	})
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "carl", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.ErrNotAllowed, errType(second.err))
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, []string{"alice", "carl"}, []string{s.Approvals[0].Actor, s.Approvals[1].Actor})
}

// An infrastructure error is not a refusal: the read falls back to a
// regular activity and is retried until the database answers. (The test
// environment caps unlimited retries at 10 attempts per activity, so the
// outages here are a little over a minute of workflow time.)
func TestDatabaseOutageDuringTheChecksRefusesNothing(t *testing.T) {
	f := newFixture(t, 0)
	f.checkFailures = 14
	f.persistFailures = 8
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, f.persisted, 1, "written once the database is back")
	require.Empty(t, s.Waiting, "the waiting line is cleared once the step succeeds")
	require.Equal(t, 15, f.checkCalls)
	require.Equal(t, 9, f.persistCalls)
}

func TestWaitingLineWhileRetrying(t *testing.T) {
	f := newFixture(t, 1)
	f.persistFailures = 10
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
	f.checkFailures = 1 << 30
	_, err := f.run()
	require.Equal(t, cards.ErrInfrastructureUnavailable, errType(err))
	require.Contains(t, err.Error(), "Check user and requester did not succeed within 10m0s")
	require.Contains(t, err.Error(), "connection refused")
	require.Empty(t, f.persisted)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr) && !cards.IsBusinessError(appErr.Type()))
}

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
