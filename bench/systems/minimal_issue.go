package systems

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/stationcmd"
)

// registerMinimalIssue registers the minimal issue and deactivate workflows and their
// activities on a yardstick's worker.
func registerMinimalIssue(w worker.Worker) {
	w.RegisterWorkflowWithOptions(MinimalIssue, workflow.RegisterOptions{Name: minimalIssueName})
	w.RegisterWorkflowWithOptions(MinimalActivate, workflow.RegisterOptions{Name: minimalActivateName})
	w.RegisterActivity(minimalStep)
	registerMinimalDeactivate(w)
}

// startMinimalStation runs a yardstick's print station: a worker of its
// own on queue with the real station's options (one job at a time, the
// same heartbeat throttle), whose job is empty.
func startMinimalStation(e *engine.Env, c client.Client, queue string) error {
	w := worker.New(c, queue, worker.Options{MaxConcurrentActivityExecutionSize: 1,
		MaxHeartbeatThrottleInterval: stationcmd.HeartbeatInterval, DisableRegistrationAliasing: true})
	w.RegisterActivityWithOptions(minimalProduce, activity.RegisterOptions{Name: minimalStationActivity})
	if err := w.Start(); err != nil {
		return err
	}
	e.Defer(w.Stop)
	return nil
}

// laneOperation starts one operation on a yardstick's lane as
// cardops.Operate does (a running lane refused, a closed one reused) and
// waits for its end.
func laneOperation(ctx context.Context, c client.Client, queue, laneID, workflowType string, arg any) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: laneID, TaskQueue: queue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflowType, arg)
	if err != nil {
		return err
	}
	return run.Get(ctx, nil)
}
