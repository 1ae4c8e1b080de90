package systems

import (
	"go.temporal.io/sdk/workflow"
)

// MinimalDeactivate is the yardstick of the deactivate-approval scenario:
// DeactivateCard with an approval, its Temporal steps with nothing inside,
// as an expert would write them. It is started on the card's lane with
// the "awaiting" update, answered once the check has run and the
// operation waits; an "approve" update runs the vote's activity and ends
// the wait; then the hold and the transition. Every activity is empty
// (minimalStep); no GetVersion, no status query, no codec.
const (
	minimalDeactivateName = "MinimalDeactivate"
	// minimalAwaitingUpdate answers once the operation waits for approval.
	minimalAwaitingUpdate = "awaiting"
)

// MinimalDeactivate is DeactivateCard with nothing inside; see above.
func MinimalDeactivate(ctx workflow.Context, cardID string) (string, error) {
	var checked, approved bool
	if err := workflow.SetUpdateHandler(ctx, minimalAwaitingUpdate, func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return checked })
	}); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandler(ctx, "approve", func(ctx workflow.Context, actor string) error {
		if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, "vote").Get(ctx, nil); err != nil {
			return err
		}
		approved = true
		return nil
	}); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, "check").Get(ctx, nil); err != nil {
		return "", err
	}
	checked = true
	if err := workflow.Await(ctx, func() bool { return approved }); err != nil {
		return "", err
	}
	for _, step := range []string{"hold", "inactive"} {
		if err := workflow.ExecuteActivity(minimalSteps(ctx), minimalStep, step).Get(ctx, nil); err != nil {
			return "", err
		}
	}
	// Let the approve handler's answer go out before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return "inactive", nil
}
