package workflows_test

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/cardflow/cardflow/workflows"
)

// TestReplayRecordedHistories replays histories recorded from a real server
// (make record-histories) against the workflows Register gives the worker.
// testdata/histories/v2 holds RequestCard executions of its current version
// and IssueCard, ActivateCard, DeactivateCard, ReactivateCard and LockCard
// executions (version 1 of each);
// older versions are retired (see requestcard/version.go) and their
// histories deleted with their code. A change to the
// workflow that is not behind workflow.GetVersion makes this fail with a
// nondeterminism error, before it can break requests already in flight.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "v2", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d recorded histories in testdata/histories/v2, want at least 10: run `make record-histories`", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			workflows.RegisterWorkflows(replayer)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}

// TestRetiredVersionsDoNotReplay is the other half of the upgrade rule: an
// execution that recorded a retired version (here a current history whose
// version marker is rewritten to 1) must fail replay with the SDK's
// unsupported-version error, never run today's code on an older history.
func TestRetiredVersionsDoNotReplay(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "histories", "v2", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var history map[string]any
	if err := json.Unmarshal(raw, &history); err != nil {
		t.Fatal(err)
	}
	rewritten := 0
	for _, event := range history["events"].([]any) {
		marker, ok := event.(map[string]any)["markerRecordedEventAttributes"].(map[string]any)
		if !ok || marker["markerName"] != "Version" {
			continue
		}
		version := marker["details"].(map[string]any)["version"].(map[string]any)["payloads"].([]any)[0].(map[string]any)
		version["data"] = base64.StdEncoding.EncodeToString([]byte("1"))
		rewritten++
	}
	if rewritten != 1 {
		t.Fatalf("found %d version markers, want 1", rewritten)
	}
	file := filepath.Join(t.TempDir(), "retired.json")
	out, err := json.Marshal(history)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	replayer := worker.NewWorkflowReplayer()
	workflows.RegisterWorkflows(replayer)
	// The replayer logs the panic with its stack; the error is what counts.
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	err = replayer.ReplayWorkflowHistoryFromJSONFile(quiet, file)
	if err == nil || !strings.Contains(err.Error(), "removed support of version 1") {
		t.Fatalf("replay of a version-1 history: got %v, want the unsupported-version error", err)
	}
}
