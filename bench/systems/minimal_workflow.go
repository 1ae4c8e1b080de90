package systems

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The minimal baseline is the fixed yardstick: the card's job
// written the way a Temporal expert would, with nothing inside. One local
// activity for the reads and one regular activity per state change; the
// request arrives with update-with-start and the "persisted" update answers
// once the card is persisted; the decision is an "approve" update whose
// handler answers after its state change. No search attributes, no timer, no
// GetVersion, no codec, no status bookkeeping. It does not follow cardflow
// when cardflow changes: that is what makes it a yardstick.

const (
	minimalWorkflowName = "MinimalRequest"
	// minimalIDPrefix keeps its workflow ids apart from the other systems'.
	minimalIDPrefix = "bench-minimal-"
)

// MinimalInput selects the scenario: with Approval the card waits for one
// "approve" update after it is persisted.
type MinimalInput struct {
	Approval bool `json:"approval"`
}

// Minimal states, as the updates report them.
const (
	minimalPending   = "pending"
	minimalRequested = "requested"
	minimalApproved  = "approved"
)

// errNotWaiting refuses an approval the card cannot take, in the validator,
// so that it never reaches the history.
var errNotWaiting = errors.New("the card is not waiting for approval")

// minimalReads, minimalPersist and minimalTransition are the activities: the
// reads (a local activity, as an expert keeps a short read inside the
// workflow task) and one write per state change, each doing nothing.
func minimalReads(context.Context, MinimalInput) error { return nil }
func minimalPersist(context.Context, string) error     { return nil }
func minimalTransition(context.Context, string) error  { return nil }

// MinimalRequest is the card's job with nothing inside; see the comment at
// the top of this file.
func MinimalRequest(ctx workflow.Context, in MinimalInput) (string, error) {
	activityOptions := workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second}
	state, approving := minimalPending, false

	// Handlers first, so that the update that came with the start finds
	// its handler in the first workflow task.
	if err := workflow.SetUpdateHandler(ctx, "persisted", func(ctx workflow.Context) (string, error) {
		err := workflow.Await(ctx, func() bool { return state != minimalPending })
		return state, err
	}); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, "approve", func(ctx workflow.Context, actor string) (string, error) {
		approving = true
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions), minimalTransition, actor).Get(ctx, nil); err != nil {
			approving = false
			return "", err
		}
		state = minimalApproved
		return state, nil
	}, workflow.UpdateHandlerOptions{Validator: func(string) error {
		if state != minimalRequested || approving {
			return errNotWaiting
		}
		return nil
	}}); err != nil {
		return "", err
	}

	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteLocalActivity(local, minimalReads, in).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions), minimalPersist, "persist").Get(ctx, nil); err != nil {
		return "", err
	}
	if !in.Approval {
		state = minimalApproved
	} else {
		state = minimalRequested
	}
	err := workflow.Await(ctx, func() bool { return state == minimalApproved && workflow.AllHandlersFinished(ctx) })
	return state, err
}
