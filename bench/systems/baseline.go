package systems

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/bench/engine"
)

// Baseline is RequestCard's shape with empty activities and cardflow's
// codec (baseline_workflow.go), kept for continuity with the figures from
// before the minimal yardstick.
type Baseline struct{}

// Name is the system's name in the tables.
func (Baseline) Name() string { return BaselineName }

// Describe says what the baseline is and whether it pays for encryption.
func (Baseline) Describe(s engine.Setup) string {
	return "RequestCard's shape, empty activities, cardflow's codec (encryption " + engine.OnOff(s.Encryption) + ")"
}

// Start runs the baseline's worker with cardflow's codec.
func (Baseline) Start(_ context.Context, e *engine.Env) (engine.Running, error) {
	r := &runningBaseline{client: e.Client, queue: e.Queue("bench-baseline-"), station: e.Queue("bench-baseline-station-"),
		localReads: e.Config.BaselineLocalReads}
	wc, err := startYardstickWorker(e, e.ClientOptions, r.queue, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(BaselineRequest, workflow.RegisterOptions{Name: baselineWorkflowName})
		w.RegisterActivity(noop)
		registerMinimalIssue(w)
	})
	if err != nil {
		return nil, err
	}
	if err := startMinimalStation(e, wc, r.station); err != nil {
		return nil, err
	}
	return r, nil
}

// runningBaseline is the baseline's worker running; its requests go
// through the run's client, which has cardflow's codec.
type runningBaseline struct {
	client client.Client
	queue  string
	// station is its print station's task queue: Issue card has no
	// older shape, so the baseline issues with the minimal issue
	// workflows (minimal_issue_workflow.go), with cardflow's codec.
	station    string
	localReads bool
}

// Client, TaskQueue and WorkflowID are how the engine finds its workflows.
func (r *runningBaseline) Client() client.Client { return r.client }
func (r *runningBaseline) TaskQueue() string     { return r.queue }

func (r *runningBaseline) WorkflowID(card engine.Card) string { return "bench-baseline-" + card.ID }
func (r *runningBaseline) LaneWorkflowID(card engine.Card) string {
	return minimalLanePrefix + BaselineName + "-" + card.ID
}

// Request starts the workflow with the "persisted" update.
func (r *runningBaseline) Request(ctx context.Context, card engine.Card, req engine.CardRequest) error {
	return updateWithStart(ctx, r.client, client.StartWorkflowOptions{ID: r.WorkflowID(card), TaskQueue: r.queue},
		baselineWorkflowName, BaselineInput{Approval: req.Approval, LocalReads: r.localReads}, "persisted")
}

// Approve sends the "approve" update.
func (r *runningBaseline) Approve(ctx context.Context, card engine.Card) error {
	return update(ctx, r.client, r.WorkflowID(card), "approve", map[string]string{"actor": engine.Approver})
}

// Issue runs the minimal issue workflow on the card's lane, with the
// baseline's codec.
func (r *runningBaseline) Issue(ctx context.Context, card engine.Card) error {
	return laneOperation(ctx, r.client, r.queue, r.LaneWorkflowID(card), minimalIssueName,
		MinimalIssueInput{CardID: card.ID, StationQueue: r.station})
}

// Activate runs the minimal activate workflow on the card's lane.
func (r *runningBaseline) Activate(ctx context.Context, card engine.Card) error {
	return laneOperation(ctx, r.client, r.queue, r.LaneWorkflowID(card), minimalActivateName, card.ID)
}
