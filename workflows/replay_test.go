package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/cardflow/cardflow/workflows"
)

// TestReplayRecordedHistories replays histories recorded from a real server
// (make record-histories) against today's RequestCard: v0 holds executions
// that started before the directory version (workflow.DefaultVersion), v1
// those of the directory version, v2 those of the lean (current) version. A change to the workflow that is not behind
// workflow.GetVersion makes it fail with a nondeterminism error, before it
// can break requests already in flight.
func TestReplayRecordedHistories(t *testing.T) {
	var files []string
	for _, version := range []string{"v0", "v1", "v2"} {
		found, err := filepath.Glob(filepath.Join("testdata", "histories", version, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(found) < 10 {
			t.Fatalf("found %d recorded histories in testdata/histories/%s, want at least 10: run `make record-histories`", len(found), version)
		}
		files = append(files, found...)
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(workflows.RequestCard)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
