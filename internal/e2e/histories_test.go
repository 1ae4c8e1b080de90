package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
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
	for i, wid := range h.workflowIDs {
		if seen[wid] {
			continue
		}
		seen[wid] = true
		history := &historypb.History{}
		iter := h.client.GetWorkflowHistory(context.Background(), wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
			continue // a task in flight: not a stable point to replay from
		}
		data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(history)
		if err != nil {
			h.t.Error(err)
			return
		}
		name := strings.TrimPrefix(h.t.Name(), "Test")
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.json", name, i+1))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			h.t.Error(err)
		}
	}
}
