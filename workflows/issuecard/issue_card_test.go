package issuecard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

var acts *activities.Activities

// fixture runs IssueCard with every activity mocked and records the calls.
type fixture struct {
	env        *testsuite.TestWorkflowEnvironment
	production activities.Production
	jobs       []station.Job
	jobQueue   string
	jobErr     error
	beginErr   error
	held       []activities.HoldCertificatesInput
	completed  []activities.CompleteIssueInput
	failed     []activities.FailProductionInput
	delivered  []activities.DeliverPINInput
	cancelled  []activities.CancelProductionInput
}

func newFixture(t *testing.T) *fixture {
	var suite testsuite.WorkflowTestSuite
	f := &fixture{env: suite.NewTestWorkflowEnvironment()}
	f.production = activities.Production{
		CardID: "c1", UserID: "carol", CardType: "standard", CommonName: "Carol Shaw", UPN: "carol@example.com",
		Number: "C0000000018", Generation: 1, ValidUntil: time.Date(2029, 11, 30, 0, 0, 0, 0, time.UTC),
		Usages: []ca.Usage{ca.Authentication, ca.Signing}, Station: "station-1", StationTimeout: 10 * time.Minute,
		PINDelivery: "letter", From: cards.StateApproved,
	}
	f.env.RegisterWorkflow(issuecard.IssueCard)
	f.env.RegisterActivity(acts)
	f.env.RegisterActivityWithOptions(func(context.Context, station.Job) (station.Result, error) {
		return station.Result{}, nil
	}, activity.RegisterOptions{Name: station.ProduceCardActivity})
	f.env.OnActivity(acts.BeginIssue, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BeginIssueInput) (activities.Production, error) {
			if in.Station != "" {
				f.production.Station = in.Station
			}
			return f.production, f.beginErr
		})
	f.env.OnActivity(station.ProduceCardActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, job station.Job) (station.Result, error) {
			f.jobs = append(f.jobs, job)
			f.jobQueue = activity.GetInfo(ctx).TaskQueue
			certs := []ca.Certificate{}
			for _, u := range job.Usages {
				certs = append(certs, ca.Certificate{Usage: u, Serial: ca.SerialText(job.CardID, u, job.Generation), PEM: "-----BEGIN CERTIFICATE-----"})
			}
			return station.Result{Station: f.production.Station, UID: "04a1b2c3d4e5f6", Certificates: certs}, f.jobErr
		}).Maybe()
	f.env.OnActivity(acts.HoldCertificates, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.HoldCertificatesInput) error {
			f.held = append(f.held, in)
			return nil
		}).Maybe()
	f.env.OnActivity(acts.CompleteIssue, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CompleteIssueInput) (cards.State, error) {
			f.completed = append(f.completed, in)
			return cards.StateIssued, nil
		}).Maybe()
	f.env.OnActivity(acts.FailProduction, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FailProductionInput) (cards.State, error) {
			f.failed = append(f.failed, in)
			return cards.StateFailed, nil
		}).Maybe()
	f.env.OnActivity(acts.DeliverPIN, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DeliverPINInput) (string, error) {
			f.delivered = append(f.delivered, in)
			return "letter: .run/pin-letters/c1/pin-letter.pdf", nil
		}).Maybe()
	f.env.OnActivity(acts.CancelProduction, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CancelProductionInput) (cards.State, error) {
			f.cancelled = append(f.cancelled, in)
			return cards.StateFailed, nil
		}).Maybe()
	return f
}

func (f *fixture) run(t *testing.T, in issuecard.Input) (lane.Status, error) {
	t.Helper()
	f.env.ExecuteWorkflow(issuecard.IssueCard, in)
	require.True(t, f.env.IsWorkflowCompleted())
	var s lane.Status
	err := f.env.GetWorkflowError()
	if err == nil {
		require.NoError(t, f.env.GetWorkflowResult(&s))
	}
	return s, err
}

func TestIssueProducesHoldsIssuesAndDeliversInOrder(t *testing.T) {
	f := newFixture(t)
	s, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateIssued, s.State)
	require.True(t, s.Done)
	require.Len(t, f.jobs, 1)
	require.Equal(t, "print-station-station-1", f.jobQueue)
	job := f.jobs[0]
	require.Equal(t, "c1/1", job.JobID)
	require.Equal(t, "C0000000018", job.Number)
	require.Equal(t, "Carol Shaw", job.HolderName)
	require.Len(t, f.held, 1)
	require.Len(t, f.held[0].Certificates, 2)
	require.Len(t, f.completed, 1)
	require.Equal(t, "04a1b2c3d4e5f6", f.completed[0].UID)
	require.Equal(t, []activities.DeliverPINInput{{CardID: "c1", Method: "letter"}}, f.delivered)
	require.Empty(t, f.failed)
}

func TestIssueSendsTheJobToTheChosenStation(t *testing.T) {
	f := newFixture(t)
	_, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia", Station: "station-2"})
	require.NoError(t, err)
	require.Equal(t, "print-station-station-2", f.jobQueue)
}

func TestAStationThatNeverTakesTheJobFailsTheCardNamingIt(t *testing.T) {
	f := newFixture(t)
	f.jobErr = temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START, nil)
	s, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateFailed, s.State)
	require.Len(t, f.failed, 1)
	require.Contains(t, f.failed[0].Reason, "print station station-1 did not take the job within 10m0s")
	require.Equal(t, []ca.Usage{ca.Authentication, ca.Signing}, f.failed[0].Usages)
	require.Empty(t, f.held)
	require.Empty(t, f.completed)
	require.Empty(t, f.delivered)
}

func TestAJobThatFailsIsNotRetriedAndFailsTheCard(t *testing.T) {
	f := newFixture(t)
	f.jobErr = temporal.NewNonRetryableApplicationError("ribbon out", station.ErrRibbonOut, nil)
	s, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Equal(t, cards.StateFailed, s.State)
	require.Len(t, f.jobs, 1, "a physical print is never retried automatically")
	require.Contains(t, f.failed[0].Reason, "RibbonOut: ribbon out")
	require.Equal(t, s.Reason, f.failed[0].Reason)
}

func TestAStationCrashPartWayFailsTheCard(t *testing.T) {
	f := newFixture(t)
	f.jobErr = temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil)
	_, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, err)
	require.Contains(t, f.failed[0].Reason, "stopped answering part-way")
}

func TestARefusalEndsTheWorkflowWithItsType(t *testing.T) {
	f := newFixture(t)
	f.beginErr = temporal.NewNonRetryableApplicationError("card c1 is requested; Issue card needs approved", cards.ErrInvalidState, nil)
	_, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia"})
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	require.Equal(t, cards.ErrInvalidState, app.Type())
	require.Empty(t, f.jobs)
}

func TestRepeatAsksForTheFailedState(t *testing.T) {
	f := newFixture(t)
	f.production.Generation, f.production.From = 2, cards.StateFailed
	var seen activities.BeginIssueInput
	f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name == "BeginIssue" {
			require.NoError(t, args.Get(&seen))
		}
	})
	_, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia", Action: issuecard.ActionRepeat})
	require.NoError(t, err)
	require.True(t, seen.Repeat)
	require.Equal(t, "c1/2", f.jobs[0].JobID)
	require.Equal(t, cards.StateFailed, f.completed[0].From)
}

func TestCancelRunsNoJob(t *testing.T) {
	f := newFixture(t)
	s, err := f.run(t, issuecard.Input{CardID: "c1", Operator: "olivia", Action: issuecard.ActionCancel, Comment: "card stock damaged"})
	require.NoError(t, err)
	require.Equal(t, "production cancelled", s.Step)
	require.Len(t, f.cancelled, 1)
	require.Equal(t, "card stock damaged", f.cancelled[0].Comment)
	require.Empty(t, f.jobs)
}
