package systems

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The baseline is RequestCard's shape with nothing inside: the same three
// local activities and one regular activity before the "persisted" update
// answers and, for the approval variant, an "approve" update that answers
// after one more regular activity. It measures the engine's own ceiling on
// this machine, with the same server and worker settings.

// BaselineInput selects the variant.
type BaselineInput struct {
	Approval bool `json:"approval"`
	// LocalReads runs the three reads as local activities (as RequestCard
	// does); false makes them regular activities, to measure what that costs.
	LocalReads bool `json:"localReads"`
}

const baselineWorkflowName = "BaselineRequest"

// noop is every baseline activity.
func noop(context.Context, string) (string, error) { return "", nil }

// BaselineRequest is the empty twin of RequestCard.
func BaselineRequest(ctx workflow.Context, in BaselineInput) (string, error) {
	state := "pending"
	decided := false
	if err := workflow.SetUpdateHandler(ctx, "persisted", func(ctx workflow.Context) (string, error) {
		err := workflow.Await(ctx, func() bool { return state != "pending" })
		return state, err
	}); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, "approve", func(ctx workflow.Context, _ map[string]string) (string, error) {
		decided = true
		err := workflow.Await(ctx, func() bool { return state == "approved" })
		return state, err
	}, workflow.UpdateHandlerOptions{Validator: func(map[string]string) error { return nil }}); err != nil {
		return "", err
	}
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	regular := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumInterval: 30 * time.Second}})
	for _, name := range []string{"resolve", "check", "map"} {
		var f workflow.Future
		if in.LocalReads {
			f = workflow.ExecuteLocalActivity(local, noop, name)
		} else {
			f = workflow.ExecuteActivity(regular, noop, name)
		}
		if err := f.Get(ctx, nil); err != nil {
			return "", err
		}
	}
	if err := workflow.ExecuteActivity(regular, noop, "persist").Get(ctx, nil); err != nil {
		return "", err
	}
	if !in.Approval {
		state = "approved"
	} else {
		state = "requested"
		if err := workflow.Await(ctx, func() bool { return decided }); err != nil {
			return "", err
		}
		if err := workflow.ExecuteActivity(regular, noop, "transition").Get(ctx, nil); err != nil {
			return "", err
		}
		state = "approved"
	}
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return state, err
}
