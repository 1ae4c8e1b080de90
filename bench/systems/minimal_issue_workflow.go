package systems

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The minimal issue workflows are the yardstick of the issue scenario:
// IssueCard's and ActivateCard's Temporal steps with nothing inside, the
// way an expert would write them. MinimalIssue runs a regular activity to
// begin the production, one activity on the print station's task queue
// (a single attempt with a heartbeat timeout, as a physical print is never
// repeated), then three regular activities (hold the certificates, mark
// the card issued, deliver the PIN); MinimalActivate runs three (check,
// release the certificates, mark the card active). Each is started on the
// card's lane and waited for, as cardops.Operate does. No GetVersion, no
// status query, no codec; every activity is empty, and so is the station's.
const (
	minimalIssueName    = "MinimalIssue"
	minimalActivateName = "MinimalActivate"
	// minimalStationActivity is the station's activity, registered on the
	// yardstick's station worker only.
	minimalStationActivity = "MinimalProduceCard"
	// minimalLanePrefix keeps the yardsticks' lanes apart from cardflow's
	// (card-<id>) and from their request workflows.
	minimalLanePrefix = "bench-lane-"
)

// MinimalIssueInput names the card and the station's task queue.
type MinimalIssueInput struct {
	CardID       string `json:"cardId"`
	StationQueue string `json:"stationQueue"`
}

// minimalStep is every worker-side activity of the two workflows.
func minimalStep(context.Context, string) (string, error) { return "", nil }

// minimalProduce is the station's job, empty.
func minimalProduce(context.Context, string) (string, error) { return "", nil }

// minimalSteps are the regular activities' options: lane.Steps' timeout
// and retry.
func minimalSteps(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second}})
}

// MinimalIssue is IssueCard with nothing inside; see the comment above.
func MinimalIssue(ctx workflow.Context, in MinimalIssueInput) (string, error) {
	if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, "begin").Get(ctx, nil); err != nil {
		return "", err
	}
	job := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: in.StationQueue,
		ScheduleToStartTimeout: 10 * time.Minute, StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	if err := workflow.ExecuteActivity(job, minimalStationActivity, in.CardID).Get(ctx, nil); err != nil {
		return "", err
	}
	for _, step := range []string{"hold", "issued", "pin"} {
		if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, step).Get(ctx, nil); err != nil {
			return "", err
		}
	}
	return "issued", nil
}

// MinimalActivate is ActivateCard with nothing inside.
func MinimalActivate(ctx workflow.Context, cardID string) (string, error) {
	for _, step := range []string{"check", "release", "active"} {
		if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, step).Get(ctx, nil); err != nil {
			return "", err
		}
	}
	return "active", nil
}
