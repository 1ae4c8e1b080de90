package workerapp

import (
	"context"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/workflows/requestcard"
)

// retiredCheckTimeout bounds the start-up check: a slow or missing
// visibility store costs the worker this much at most, in the background.
const retiredCheckTimeout = 10 * time.Second

// RetiredVersions is what FindRetiredVersions found: how many open
// RequestCard executions recorded only a retired version (or none), and one
// of them to look at.
type RetiredVersions struct {
	Count             int64
	ExampleWorkflowID string
}

// FindRetiredVersions runs requestcard.RetiredVersionsQuery in c's namespace.
// Those executions fail their next workflow task on this release: they
// belong to a worker of the previous one until they finish.
func FindRetiredVersions(ctx context.Context, c client.Client) (RetiredVersions, error) {
	count, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: requestcard.RetiredVersionsQuery})
	if err != nil || count.GetCount() == 0 {
		return RetiredVersions{}, err
	}
	found := RetiredVersions{Count: count.GetCount()}
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: requestcard.RetiredVersionsQuery, PageSize: 1})
	if err != nil {
		return found, err
	}
	if executions := list.GetExecutions(); len(executions) > 0 {
		found.ExampleWorkflowID = executions[0].GetExecution().GetWorkflowId()
	}
	return found, nil
}

// WarnRetiredVersions logs one warning when FindRetiredVersions finds
// executions this release cannot run, saying what to do. It never fails:
// visibility that does not answer within timeout is noted at info level,
// because the check is advice and start-up must not depend on it.
func WarnRetiredVersions(ctx context.Context, c client.Client, log *zap.Logger, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	found, err := FindRetiredVersions(ctx, c)
	switch {
	case err != nil:
		log.Info("Could not check for open RequestCard executions of retired versions; skipping the check",
			zap.Error(err), zap.String("query", requestcard.RetiredVersionsQuery))
	case found.Count > 0:
		log.Warn("Open RequestCard executions started by an older release that this worker cannot run: "+
			"their workflow tasks fail until a worker of the previous release finishes them. "+
			"Run the previous release's worker until they are closed (or cancel them), then deploy this one; "+
			"list them with `temporal workflow list --query` and the query below",
			zap.Int64("count", found.Count), zap.String("exampleWorkflowId", found.ExampleWorkflowID),
			zap.String("query", requestcard.RetiredVersionsQuery))
	}
}
