package activatecard_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

var acts *activities.Activities

type fixture struct {
	env                   *testsuite.TestWorkflowEnvironment
	checkErr, activateErr error
	calls                 []string
}

func newFixture() *fixture {
	var suite testsuite.WorkflowTestSuite
	f := &fixture{env: suite.NewTestWorkflowEnvironment()}
	f.env.RegisterWorkflow(activatecard.ActivateCard)
	f.env.RegisterActivity(acts)
	f.env.OnActivity(acts.CheckActivate, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ActivateInput) ([]string, error) {
			f.calls = append(f.calls, "check")
			return []string{"11", "22"}, f.checkErr
		})
	f.env.OnActivity(acts.ReleaseCertificates, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReleaseCertificatesInput) error {
			f.calls = append(f.calls, "release")
			return nil
		}).Maybe()
	f.env.OnActivity(acts.Activate, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ActivateInput) (cards.State, error) {
			f.calls = append(f.calls, "activate")
			return cards.StateActive, f.activateErr
		}).Maybe()
	f.env.OnActivity(acts.HoldAgain, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ReleaseCertificatesInput) error {
			f.calls = append(f.calls, "hold")
			return nil
		}).Maybe()
	return f
}

func TestActivateReleasesThenMarksActive(t *testing.T) {
	f := newFixture()
	f.env.ExecuteWorkflow(activatecard.ActivateCard, activatecard.Input{CardID: "c1", Operator: "olivia"})
	require.NoError(t, f.env.GetWorkflowError())
	var s lane.Status
	require.NoError(t, f.env.GetWorkflowResult(&s))
	require.Equal(t, cards.StateActive, s.State)
	require.Equal(t, []string{"check", "release", "activate"}, f.calls)
}

func TestARefusedCheckTouchesNoCertificate(t *testing.T) {
	f := newFixture()
	f.checkErr = temporal.NewNonRetryableApplicationError("carol already has an active standard card: c0", cards.ErrAnotherActiveCard, nil)
	f.env.ExecuteWorkflow(activatecard.ActivateCard, activatecard.Input{CardID: "c1", Operator: "olivia"})
	var app *temporal.ApplicationError
	require.ErrorAs(t, f.env.GetWorkflowError(), &app)
	require.Equal(t, cards.ErrAnotherActiveCard, app.Type())
	require.Equal(t, []string{"check"}, f.calls)
}

func TestARefusalAfterTheReleaseHoldsTheCertificatesAgain(t *testing.T) {
	f := newFixture()
	f.activateErr = temporal.NewNonRetryableApplicationError("another card became active", cards.ErrAnotherActiveCard, nil)
	f.env.ExecuteWorkflow(activatecard.ActivateCard, activatecard.Input{CardID: "c1", Operator: "olivia"})
	var app *temporal.ApplicationError
	require.ErrorAs(t, f.env.GetWorkflowError(), &app)
	require.Equal(t, cards.ErrAnotherActiveCard, app.Type())
	require.Equal(t, []string{"check", "release", "activate", "hold"}, f.calls)
}
