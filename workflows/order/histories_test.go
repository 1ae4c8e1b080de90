package order_test

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/workflows/order"
)

// recorded is one recorded Order history (workflows/testdata/histories,
// which workflows.TestReplayRecordedHistories replays in full).
type recorded struct {
	file    string
	kind    string
	version int
	history map[string]any
}

// recordedOrders reads every recorded history of an Order run, with the
// kind of its order and the version its marker recorded.
func recordedOrders(t *testing.T) []recorded {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "histories", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Events []struct {
				Started *struct {
					WorkflowType struct{ Name string } `json:"workflowType"`
					Input        struct {
						Payloads []struct{ Data []byte } `json:"payloads"`
					} `json:"input"`
				} `json:"workflowExecutionStartedEventAttributes"`
				Marker *struct {
					MarkerName string `json:"markerName"`
					Details    map[string]struct {
						Payloads []struct{ Data []byte } `json:"payloads"`
					} `json:"details"`
				} `json:"markerRecordedEventAttributes"`
			} `json:"events"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(h.Events) == 0 || h.Events[0].Started == nil || h.Events[0].Started.WorkflowType.Name != order.WorkflowType {
			continue
		}
		r := recorded{file: file, version: -1}
		var in order.Input
		if err := json.Unmarshal(h.Events[0].Started.Input.Payloads[0].Data, &in); err != nil {
			t.Fatalf("%s: input: %v", file, err)
		}
		r.kind = in.Kind
		for _, e := range h.Events {
			if e.Marker == nil || e.Marker.MarkerName != "Version" {
				continue
			}
			if id := string(e.Marker.Details["change-id"].Payloads[0].Data); id != strconv.Quote(orderChangeID) {
				t.Fatalf("%s: a version marker of %s", file, id)
			}
			if r.version, err = strconv.Atoi(string(e.Marker.Details["version"].Payloads[0].Data)); err != nil {
				t.Fatalf("%s: version: %v", file, err)
			}
		}
		if err := json.Unmarshal(raw, &r.history); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestRecordedOrderHistoriesCoverBothVersions: the replay histories hold
// request and issue orders recorded at version 1 (blocking progress
// writes) and at version 2, each replaying with today's code; and the two
// versions take their own paths: a version-2 history whose marker is
// rewritten to 1 no longer replays (version 1 would have stopped its
// window where version 2 went on; the cancelled request order of
// internal/e2e always does, as it fetched its second page while items
// ran), nor the reverse. Without this, a
// version-2 path that fell back to version 1's code would replay both
// sets unnoticed.
func TestRecordedOrderHistoriesCoverBothVersions(t *testing.T) {
	orders := recordedOrders(t)
	seen := map[string]int{}
	for _, r := range orders {
		seen[r.kind+" v"+strconv.Itoa(r.version)]++
	}
	t.Logf("recorded Order runs: %v", seen)
	for _, want := range []string{"request v1", "issue v1", "request v2", "issue v2"} {
		if seen[want] == 0 {
			t.Errorf("no recorded %s order history (have %v): record them as internal/e2e/histories_test.go does", want, seen)
		}
	}
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	replay := func(t *testing.T, history map[string]any) error {
		t.Helper()
		file := filepath.Join(t.TempDir(), "history.json")
		raw, err := json.Marshal(history)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		replayer := worker.NewWorkflowReplayer()
		replayer.RegisterWorkflowWithOptions(order.Order, workflow.RegisterOptions{Name: order.WorkflowType})
		return replayer.ReplayWorkflowHistoryFromJSONFile(quiet, file)
	}
	refused := map[int]int{}
	for _, r := range orders {
		if err := replay(t, r.history); err != nil {
			t.Errorf("%s (version %d) does not replay: %v", r.file, r.version, err)
		}
		other := 3 - r.version
		if err := replay(t, withVersion(t, r.history, other)); err != nil {
			refused[r.version]++
			t.Logf("%s (version %d) does not replay as version %d", r.file, r.version, other)
		}
	}
	t.Logf("histories that no longer replay as the other version, by recorded version: %v", refused)
	if refused[1] == 0 || refused[2] == 0 {
		t.Errorf("rewritten to the other version, every history of some version still replays (%v): the versions do not take their own paths", refused)
	}
}

// withVersion is a copy of an Order history with its version marker
// rewritten to v.
func withVersion(t *testing.T, history map[string]any, v int) map[string]any {
	t.Helper()
	raw, err := json.Marshal(history)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, event := range out["events"].([]any) {
		marker, ok := event.(map[string]any)["markerRecordedEventAttributes"].(map[string]any)
		if !ok || marker["markerName"] != "Version" {
			continue
		}
		version := marker["details"].(map[string]any)["version"].(map[string]any)["payloads"].([]any)[0].(map[string]any)
		version["data"] = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(v)))
		n++
	}
	if n != 1 {
		t.Fatalf("%d version markers, want 1", n)
	}
	return out
}
