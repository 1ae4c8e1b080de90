package workflows_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
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
// testdata/histories/v5 holds RequestCard executions of its current version
// (the card's writes as local activities); v4 those of version 4 (the
// deciding vote written with the decision, the writes as regular
// activities); v3 holds those of version
// 3 (every vote written by the shared process, workflows/approval), the
// Order runs of its version 2 and ExpirySweep's; v2 holds those
// of version 2, which still replay (executions started before version 3
// keep its code until they end), and IssueCard, ActivateCard,
// DeactivateCard, ReactivateCard and LockCard executions (version 1 of
// each); older versions are retired (see requestcard/version.go) and their
// histories deleted with their code. A change to the
// workflow that is not behind workflow.GetVersion makes this fail with a
// nondeterminism error, before it can break requests already in flight.
func TestReplayRecordedHistories(t *testing.T) {
	var files []string
	for _, dir := range []string{"v2", "v3", "v4", "v5"} {
		found, err := filepath.Glob(filepath.Join("testdata", "histories", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(found) < 10 {
			t.Fatalf("found %d recorded histories in testdata/histories/%s, want at least 10: run `make record-histories`", len(found), dir)
		}
		files = append(files, found...)
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
// execution that recorded a retired version (here a version-4
// history whose version marker is rewritten to 1) must fail replay with the
// SDK's unsupported-version error, never run today's code on an older
// history.
func TestRetiredVersionsDoNotReplay(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "histories", "v4", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The replayer logs the panic with its stack; the error is what counts.
	err = replayAsVersion(t, raw, 1)
	if err == nil || !strings.Contains(err.Error(), "removed support of version 1") {
		t.Fatalf("replay of a version-1 history: got %v, want the unsupported-version error", err)
	}
}

// TestVersionsTakeTheirOwnPath checks that the two supported versions are
// told apart by their histories: a version-3 history whose marker is
// rewritten to 2 no longer replays (version 2 waits with its own code and
// writes no approvals row nor votes), and the version-2 histories carry no command
// of the shared process. Without this, a v3 path that fell back to v2's
// code (or the reverse) would replay both directories unnoticed.
func TestVersionsTakeTheirOwnPath(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "histories", "v3", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Version 3 opens the approvals row with the card (PersistCard's
	// openApproval) and records each vote (RecordVote).
	if text := payloadText(t, raw); !strings.Contains(text, `"openApproval"`) || !strings.Contains(text, "RecordVote") {
		t.Fatal("a version-3 rejection does not open the approval and record the vote")
	}
	v2, err := os.ReadFile(filepath.Join("testdata", "histories", "v2", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if text := payloadText(t, v2); strings.Contains(text, "OpenApproval") || strings.Contains(text, `"openApproval"`) {
		t.Fatal("a version-2 history opens an approvals row")
	}
	if err := replayAsVersion(t, raw, 2); err == nil {
		t.Fatal("a version-3 history replayed as version 2: the versions do not take their own paths")
	}

	// Version 4 writes the deciding vote with the decision (TransitionCard's
	// vote), and no RecordVote: replayed as version 3 it must fail.
	v4, err := os.ReadFile(filepath.Join("testdata", "histories", "v4", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if text := payloadText(t, v4); !strings.Contains(text, `"vote":{`) || strings.Contains(text, "RecordVote") {
		t.Fatal("a version-4 rejection does not write its vote with the decision")
	}
	if text := payloadText(t, raw); strings.Contains(text, `"vote":{`) {
		t.Fatal("a version-3 rejection sends its vote with the decision")
	}
	if err := replayAsVersion(t, v4, 3); err == nil {
		t.Fatal("a version-4 history replayed as version 3: the versions do not take their own paths")
	}

	// Version 5 writes the card with local activities (markers), version 4
	// with regular ones (ActivityTaskScheduled): each replayed as the
	// other must fail.
	v5, err := os.ReadFile(filepath.Join("testdata", "histories", "v5", "Reject-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	compact := func(b []byte) string { return strings.Join(strings.Fields(string(b)), "") }
	if strings.Contains(compact(v5), `"activityType":{"name":"TransitionCard"}`) || strings.Contains(compact(v5), `"activityType":{"name":"PersistCard"}`) {
		t.Fatal("a version-5 rejection scheduled a regular activity to write the card")
	}
	if !strings.Contains(compact(v4), `"activityType":{"name":"TransitionCard"}`) {
		t.Fatal("a version-4 rejection did not schedule TransitionCard as a regular activity")
	}
	if err := replayAsVersion(t, v5, 4); err == nil {
		t.Fatal("a version-5 history replayed as version 4: the versions do not take their own paths")
	}
	if err := replayAsVersion(t, v4, 5); err == nil {
		t.Fatal("a version-4 history replayed as version 5: the versions do not take their own paths")
	}
}

// replayAsVersion replays a recorded RequestCard history whose version
// marker is rewritten to version.
func replayAsVersion(t *testing.T, raw []byte, version int) error {
	t.Helper()
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
		v := marker["details"].(map[string]any)["version"].(map[string]any)["payloads"].([]any)[0].(map[string]any)
		v["data"] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(version)))
		rewritten++
	}
	if rewritten != 1 {
		t.Fatalf("found %d version markers, want 1", rewritten)
	}
	file := filepath.Join(t.TempDir(), fmt.Sprintf("as-v%d.json", version))
	out, err := json.Marshal(history)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	replayer := worker.NewWorkflowReplayer()
	workflows.RegisterWorkflows(replayer)
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	return replayer.ReplayWorkflowHistoryFromJSONFile(quiet, file)
}

// payloadText is every payload of a recorded history decoded (the
// local-activity markers name their activity inside one).
func payloadText(t *testing.T, raw []byte) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if s, ok := child.(string); ok && k == "data" {
					if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
						b.Write(dec)
						b.WriteByte('\n')
					}
					continue
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(doc)
	return b.String()
}
