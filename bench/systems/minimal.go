package systems

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/bench/engine"
)

// Minimal is the fixed yardstick (minimal_workflow.go): the card's job as a
// Temporal expert would write it with nothing inside, and no codec at all.
type Minimal struct{}

// Name is the system's name in the tables.
func (Minimal) Name() string { return MinimalName }

// Describe says what the yardstick is.
func (Minimal) Describe(engine.Setup) string {
	return "the fixed yardstick: update-with-start, 1 local + 1 activity per state change, approve update; no codec"
}

// Start runs the yardstick's worker over a client without any codec, not
// even the pass-through one.
func (Minimal) Start(_ context.Context, e *engine.Env) (engine.Running, error) {
	r := &runningMinimal{queue: e.Queue("bench-minimal-"), station: e.Queue("bench-minimal-station-")}
	opts := e.ClientOptions
	opts.DataConverter, opts.FailureConverter = nil, nil
	var err error
	r.client, err = startYardstickWorker(e, opts, r.queue, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(MinimalRequest, workflow.RegisterOptions{Name: minimalWorkflowName})
		w.RegisterActivity(minimalReads)
		w.RegisterActivity(minimalPersist)
		w.RegisterActivity(minimalTransition)
		registerMinimalIssue(w)
	})
	if err != nil {
		return nil, err
	}
	if err := startMinimalStation(e, r.client, r.station); err != nil {
		return nil, err
	}
	return r, nil
}

// runningMinimal is the yardstick's worker running, with its codec-less
// client.
type runningMinimal struct {
	client client.Client
	queue  string
	// station is its print station's task queue (minimal_issue.go).
	station string
}

// Client, TaskQueue and WorkflowID are how the engine finds its workflows.
func (r *runningMinimal) Client() client.Client { return r.client }
func (r *runningMinimal) TaskQueue() string     { return r.queue }

func (r *runningMinimal) WorkflowID(card engine.Card) string { return minimalIDPrefix + card.ID }
func (r *runningMinimal) LaneWorkflowID(card engine.Card) string {
	return minimalLanePrefix + MinimalName + "-" + card.ID
}

// Request starts the workflow with the "persisted" update.
func (r *runningMinimal) Request(ctx context.Context, card engine.Card, req engine.CardRequest) error {
	return updateWithStart(ctx, r.client, client.StartWorkflowOptions{ID: r.WorkflowID(card), TaskQueue: r.queue},
		minimalWorkflowName, MinimalInput{Approval: req.Approval}, "persisted")
}

// Approve sends the "approve" update, whose handler answers after its
// state change.
func (r *runningMinimal) Approve(ctx context.Context, card engine.Card) error {
	return update(ctx, r.client, r.WorkflowID(card), "approve", engine.Approver)
}

// Issue runs the minimal issue workflow on the card's lane, its job at the
// yardstick's empty station.
func (r *runningMinimal) Issue(ctx context.Context, card engine.Card) error {
	return laneOperation(ctx, r.client, r.queue, r.LaneWorkflowID(card), minimalIssueName,
		MinimalIssueInput{CardID: card.ID, StationQueue: r.station})
}

// Activate runs the minimal activate workflow on the card's lane.
func (r *runningMinimal) Activate(ctx context.Context, card engine.Card) error {
	return laneOperation(ctx, r.client, r.queue, r.LaneWorkflowID(card), minimalActivateName, card.ID)
}
