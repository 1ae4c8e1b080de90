package systems

import (
	"context"
	"strings"

	"go.temporal.io/sdk/converter"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

// The issue yardstick does IssueCard's steps: four regular activities and
// the station's job on the station's queue, then ActivateCard's three.
func TestMinimalIssueAndActivate(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(minimalStep)
	env.RegisterActivityWithOptions(minimalProduce, activity.RegisterOptions{Name: minimalStationActivity})
	var steps []string
	var station int
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name == minimalStationActivity {
			station++
			if info.TaskQueue != "station-q" {
				t.Errorf("the station's job ran on %s, want station-q", info.TaskQueue)
			}
			return
		}
		var step string
		_ = args.Get(&step)
		steps = append(steps, step)
	})
	env.ExecuteWorkflow(MinimalIssue, MinimalIssueInput{CardID: "c1", StationQueue: "station-q"})
	var got string
	if err := env.GetWorkflowResult(&got); err != nil || got != "issued" {
		t.Fatalf("issue: %q, %v", got, err)
	}
	if station != 1 || strings.Join(steps, ",") != "begin,hold,issued,pin" {
		t.Errorf("issue ran the station %d times and steps %v", station, steps)
	}

	env = s.NewTestWorkflowEnvironment()
	env.RegisterActivity(minimalStep)
	steps = nil
	env.SetOnActivityStartedListener(func(_ *activity.Info, _ context.Context, args converter.EncodedValues) {
		var step string
		_ = args.Get(&step)
		steps = append(steps, step)
	})
	env.ExecuteWorkflow(MinimalActivate, "c1")
	if err := env.GetWorkflowResult(&got); err != nil || got != "active" {
		t.Fatalf("activate: %q, %v", got, err)
	}
	if strings.Join(steps, ",") != "check,release,active" {
		t.Errorf("activate ran %v", steps)
	}
}
