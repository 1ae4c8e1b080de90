package systems

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/metrics"
)

// startYardstickWorker runs a yardstick's worker on queue with cardflow's
// worker options, over a client made from the run's with opts (its data
// converter decides the codec). Unless -baseline-metrics=false it gets
// cardflow's observability too: SDK metrics through tally and the activity
// interceptor, so that no yardstick is cheaper for lack of them. The
// client is returned for the load generator: a yardstick's requests are
// encoded as its worker expects.
func startYardstickWorker(e *engine.Env, opts client.Options, queue string, register func(worker.Worker)) (client.Client, error) {
	wopts := e.Config.WorkerOptions()
	var closeMetrics func()
	if e.Config.BaselineMetrics {
		m := metrics.New()
		opts.MetricsHandler = m.TemporalHandler()
		wopts.Interceptors = append(wopts.Interceptors, m.Interceptor())
		closeMetrics = func() { _ = m.Close() }
	}
	wc, err := client.NewClientFromExisting(e.Client, opts)
	if err != nil {
		if closeMetrics != nil {
			closeMetrics()
		}
		return nil, err
	}
	e.Defer(func() {
		wc.Close()
		if closeMetrics != nil {
			closeMetrics()
		}
	})
	w := worker.New(wc, queue, wopts)
	register(w)
	if err := w.Start(); err != nil {
		return nil, err
	}
	e.Defer(w.Stop)
	return wc, nil
}

// updateWithStart starts the workflow (or takes the running one) with the
// update that answers once the card is persisted, and waits for the answer.
func updateWithStart(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflowType string, input any, update string) error {
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, workflowType, input),
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// update sends an update to a workflow and waits for its answer.
func update(ctx context.Context, c client.Client, workflowID, name string, arg any) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}
