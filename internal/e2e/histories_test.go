package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistories writes the histories of this test's closed requests to
// $CARDFLOW_RECORD_HISTORIES (usually workflows/testdata/histories), for the
// replay tests that guard workflow changes. `make record-histories` sets it.
func (h *harness) recordHistories() {
	dir := os.Getenv("CARDFLOW_RECORD_HISTORIES")
	if dir == "" || h.codecKeys != "" {
		// Encrypted histories would need the test's keys to replay; the
		// same paths are recorded in clear by the other tests.
		return
	}
	seen := map[string]bool{}
	name := strings.TrimPrefix(h.t.Name(), "Test")
	for i, wid := range h.workflowIDs {
		if seen[wid] {
			continue
		}
		seen[wid] = true
		h.recordHistory(dir, wid, "", fmt.Sprintf("%s-%d.json", name, i+1))
	}
	// The operations on cards' lanes and the orders (whose runs continue as
	// new): several runs share a workflow id, so
	// each run is found by the test's task queue.
	resp, err := h.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("TaskQueue = '%s' AND WorkflowType IN ('IssueCard', 'ActivateCard', 'DeactivateCard', 'ReactivateCard', 'LockCard', 'ExpirySweep', 'Order') AND ExecutionStatus != 'Running'", h.taskQueue),
	})
	if err != nil {
		h.t.Errorf("list the lane's executions: %v", err)
		return
	}
	for i, e := range resp.GetExecutions() {
		h.recordHistory(dir, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(),
			fmt.Sprintf("%s-%s-%d.json", name, e.GetType().GetName(), i+1))
	}
}

// recordHistory writes one execution's history into dir as file.
func (h *harness) recordHistory(dir, wid, runID, file string) {
	history := &historypb.History{}
	iter := h.client.GetWorkflowHistory(context.Background(), wid, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			h.t.Errorf("history of %s: %v", wid, err)
			return
		}
		history.Events = append(history.Events, event)
	}
	last := history.Events[len(history.Events)-1].GetEventType()
	if last == enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || last == enums.EVENT_TYPE_WORKFLOW_TASK_STARTED {
		return // a task in flight: not a stable point to replay from
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(history)
	if err != nil {
		h.t.Error(err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
		h.t.Error(err)
	}
}
