package activities_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
)

// failingNotifier reports progress for one recipient, then fails with err.
type failingNotifier struct {
	err        error
	progressed []string
}

func (f *failingNotifier) Notify(_ context.Context, _ cards.NotifyInput, progress func(string)) (cards.NotifyResult, error) {
	if progress != nil {
		progress("alice")
		f.progressed = append(f.progressed, "alice")
	}
	return cards.NotifyResult{}, f.err
}

// The Notify activity is where the mail code's plain errors get the Temporal
// types that decide retries: an invalid input is not retried, a temporary
// SMTP failure and a database error are, and the messages stay the mail
// code's own.
func TestNotifyGivesMailErrorsTheirRetryType(t *testing.T) {
	cases := []struct {
		name         string
		err          error
		wantType     string
		nonRetryable bool
	}{
		{"invalid", fmt.Errorf("notification without a card id: %w", notify.ErrInvalid), activities.ErrInvalidNotification, true},
		{"temporary", fmt.Errorf("bernard: 451 mailbox busy: %w", notify.ErrTemporary), activities.ErrMailTemporary, false},
		{"database", errors.New("read directory: connection refused"), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := &failingNotifier{err: c.err}
			acts := activities.New(nil, nil)
			acts.Notifier = n
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(acts)
			_, err := env.ExecuteActivity(acts.Notify, cards.NotifyInput{Event: cards.NotifyRequested, CardID: "c1"})
			if err == nil {
				t.Fatal("no error")
			}
			if c.wantType != "" && errType(err) != c.wantType {
				t.Errorf("error type %q, want %q (%v)", errType(err), c.wantType, err)
			}
			if nonRetryable(err) != c.nonRetryable {
				t.Errorf("non-retryable = %v, want %v (%v)", nonRetryable(err), c.nonRetryable, err)
			}
			if got := err.Error(); !strings.Contains(got, c.err.Error()) {
				t.Errorf("error %q lost the mail code's message %q", got, c.err.Error())
			}
			if len(n.progressed) != 1 {
				t.Errorf("the activity gave the notifier no progress callback to heartbeat with")
			}
		})
	}
}

// Without a Notifier e-mail is off: the activity succeeds with no outcomes.
func TestNotifyWithoutNotifierSendsNothing(t *testing.T) {
	acts := activities.New(nil, nil)
	res, err := acts.Notify(context.Background(), cards.NotifyInput{Event: cards.NotifyRequested, CardID: "c1"})
	if err != nil || res.Notifications == nil || len(res.Notifications) != 0 {
		t.Fatalf("Notify = %+v, %v; want an empty result", res, err)
	}
}
