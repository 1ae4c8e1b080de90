package station_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/station"
)

// testJob is a valid job for card id (generation 1).
func testJob(t testing.TB, cardID string) station.Job {
	t.Helper()
	number, err := cardnumber.Format(cardnumber.DefaultPrefix, 4711, cardnumber.DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	return station.Job{
		JobID: cardID + "/1", CardID: cardID, Generation: 1,
		HolderName: "Carol Cole", UPN: "carol@example.com", CardType: "standard", Number: number,
		ValidUntil: time.Date(2029, 11, 30, 0, 0, 0, 0, time.UTC),
		ProducedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Usages:     []ca.Usage{ca.Authentication, ca.Signing},
	}
}

// run executes ProduceCard as an activity (so that it heartbeats as under
// a worker) and returns its result, its error and the heartbeats' details.
func run(t testing.TB, s *station.Station, job station.Job) (station.Result, []string, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(logging.Discard)
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(s.ProduceCard, activity.RegisterOptions{Name: station.ProduceCardActivity})
	var beats []string
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var what string
		if err := details.Get(&what); err != nil {
			t.Errorf("heartbeat details: %v", err)
		}
		beats = append(beats, what)
	})
	val, err := env.ExecuteActivity(station.ProduceCardActivity, job)
	if err != nil {
		return station.Result{}, beats, err
	}
	var res station.Result
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, beats, nil
}
