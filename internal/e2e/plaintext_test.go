package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
)

// plaintextPayloads reads cardflow_codec_plaintext_payloads_total from the
// worker's /metrics.
func plaintextPayloads(t *testing.T, h *harness) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^cardflow_codec_plaintext_payloads_total (\d+)$`).FindStringSubmatch(scrape(t, h.metricsURL))
	if m == nil {
		t.Fatal("the worker's /metrics lacks cardflow_codec_plaintext_payloads_total")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// signalInClear sends a decision the way an operator without the key file
// would: `temporal workflow signal` without --codec-endpoint.
func (h *harness) signalInClear(workflowID, kind, actor string) {
	h.t.Helper()
	h.temporalCmd("workflow", "signal", "--workflow-id", workflowID, "--name", kind,
		"--input", `{"actor": "`+actor+`", "comment": "sent in clear"}`)
}

// A worker with encryption required (CARDS_CODEC_REQUIRE=true) ignores a
// decision signal sent in clear, with the reason in the status, and refuses
// a decision update sent in clear; the same decision encrypted goes through.
func TestPlaintextDecisionsRefusedWhenEncryptionRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	h.stopWorker()
	cfg := h.workerConfig(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	cfg.CodecRequire = true
	h.startWorkerWith(cfg)

	s := h.request("carl", "standard")
	if s.State != cards.StateRequested {
		t.Fatalf("card %s, want requested", s.State)
	}
	if n := plaintextPayloads(t, h); n != 0 {
		t.Fatalf("%d plaintext payloads read before any was sent in clear, want 0", n)
	}

	h.signalInClear(s.WorkflowID, cards.Approve, "alice")
	s = h.waitForIgnored(s.ID, 1)
	want := cards.Ignored{Signal: cards.Approve, Actor: "alice", Reason: codec.PlaintextRefusedType + ": " + codec.PlaintextRefusal}
	if s.State != cards.StateRequested || len(s.Approvals) != 0 || s.Ignored[0] != want {
		t.Fatalf("after a plaintext approve signal: state %s, approvals %v, ignored %+v; want requested, none, %+v", s.State, s.Approvals, s.Ignored, want)
	}
	doc, _ := json.MarshalIndent(s, "", "  ")
	t.Logf("status after `temporal workflow signal` in clear:\n%s", doc)

	plain, err := client.Dial(client.Options{HostPort: h.temporal, Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handle, err := plain.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: s.WorkflowID, UpdateName: cards.Approve,
		Args: []any{cards.DecisionInput{Actor: "alice", Comment: "sent in clear"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if !isAppError(err, codec.PlaintextRefusedType) {
		t.Fatalf("plaintext approve update: %v, want a %s refusal", err, codec.PlaintextRefusedType)
	}
	t.Logf("plaintext approve update: %v", err)
	if n := plaintextPayloads(t, h); n < 2 {
		t.Fatalf("%d plaintext payloads read after a plaintext signal and update, want at least 2", n)
	}

	s = h.statusOf("approve", "--request", s.ID, "--approver", "alice", "--comment", "encrypted")
	if s.State != cards.StateApproved || len(s.Ignored) != 1 {
		t.Fatalf("after the encrypted approve: state %s, ignored %+v; want approved and the one plaintext signal", s.State, s.Ignored)
	}
}

// Without CARDS_CODEC_REQUIRE a decision sent in clear still counts, and
// is applied as before: the metric is how an operator finds such clients.
func TestPlaintextPayloadsAreCounted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCodec())
	s := h.request("carl", "standard")
	if n := plaintextPayloads(t, h); n != 0 {
		t.Fatalf("%d plaintext payloads read before any was sent in clear, want 0", n)
	}
	h.signalInClear(s.WorkflowID, cards.Approve, "alice")
	s = h.waitForStatus(s.ID, 20*time.Second, func(s cards.Status) bool { return s.State.Final() })
	if s.State != cards.StateApproved {
		t.Fatalf("card %s after a plaintext approve without CARDS_CODEC_REQUIRE, want approved", s.State)
	}
	if n := plaintextPayloads(t, h); n < 1 {
		t.Fatalf("%d plaintext payloads read after a plaintext signal, want at least 1", n)
	}
}
