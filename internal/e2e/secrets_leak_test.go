package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/proto"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
)

// plantedPIN is the PIN the leak test gives every card it produces.
const plantedPIN = "739146"

// TestPINAndPUKLeakNowhere plants a known PIN, reads the card's PUK back
// from its seal, and looks for both in every place a secret could slip
// into: every event of every workflow history of the test (payloads in
// clear, so that nothing hides behind encryption), every log line of the
// worker and the station at debug level, every row of every table, and
// every file the station wrote. The PIN is allowed in one place only, the
// PIN letter; the PUK nowhere. Positive controls show each search can find
// what it looks for.
func TestPINAndPUKLeakNowhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	var logs testkit.Buffer
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logs), zap.DebugLevel))
	h.stopWorker()
	cfg := h.workerConfig(logger)
	cfg.AdjustActivities = func(a *activities.Activities) {
		activities.PlantPIN(a, func(int) (secrets.PIN, error) {
			// NewPINFrom keeps byte b as digit b%10.
			digits := []byte(plantedPIN)
			for i := range digits {
				digits[i] -= '0'
			}
			return secrets.NewPINFrom(bytes.NewReader(digits), len(plantedPIN))
		})
	}
	h.startWorkerWith(cfg)
	st := testkit.Station(t, stationcmd.Config{
		ID: h.stationID() + "-logged", Issuer: h.prod.ca.Authority, Logger: logger,
		Temporal: temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
	})

	card := h.approvedCard("visitor")
	issued := h.statusOf("issue", "--card", card.ID, "--operator", "olivia", "--station", st.ID)
	h.statusOf("activate", "--card", card.ID, "--operator", "olivia")
	puk := h.openPUK(card.ID)

	letter, err := os.ReadFile(pinletter.Path(h.prod.pinLetters, card.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !holds(string(letter), plantedPIN) {
		t.Fatal("control: the planted PIN is not in the PIN letter, so the card did not get it")
	}
	places := map[string]string{
		"histories": h.histories(card.ID),
		"logs":      logs.String(),
		"tables":    h.dumpTables(),
		"station":   readTree(t, st.Output),
	}
	for place, text := range places {
		if !strings.Contains(text, issued.CardNumber) {
			t.Errorf("control: the card number %s is not in the %s, so the search there proves nothing", issued.CardNumber, place)
		}
		if holds(text, plantedPIN) {
			t.Errorf("the PIN is in the %s", place)
		}
		if holds(text, puk) {
			t.Errorf("the PUK is in the %s", place)
		}
	}
	if holds(string(letter), puk) {
		t.Error("the PUK is in the PIN letter")
	}
	if _, found, err := h.store.SealedSecret(context.Background(), card.ID, store.SecretPIN); err != nil || found {
		t.Errorf("the sealed PIN is still stored after its delivery (found %v, %v)", found, err)
	}
}

// holds reports whether text has secret as a whole number (not inside a
// longer run of digits, such as a serial number or a timestamp).
func holds(text, secret string) bool {
	return regexp.MustCompile(`(^|[^0-9])` + secret + `([^0-9]|$)`).MatchString(text)
}

// openPUK reads the card's PUK back from its seal, with the test's keys.
func (h *harness) openPUK(cardID string) string {
	h.t.Helper()
	keys, err := secrets.LoadKeys(h.prod.secretKeys)
	if err != nil {
		h.t.Fatal(err)
	}
	sealed, found, err := h.store.SealedSecret(context.Background(), cardID, store.SecretPUK)
	if err != nil || !found {
		h.t.Fatalf("no sealed PUK for %s (%v)", cardID, err)
	}
	puk, err := keys.OpenPUK(cardID, sealed)
	if err != nil {
		h.t.Fatal(err)
	}
	return puk.Reveal()
}

// histories is every event of every execution of the card's workflows
// (its request and its lane), in protobuf wire form: payload bytes as the
// server stores them.
func (h *harness) histories(cardID string) string {
	h.t.Helper()
	ctx := context.Background()
	var out strings.Builder
	query := fmt.Sprintf("WorkflowId = 'request-card-%s' OR WorkflowId = 'card-%s'", cardID, cardID)
	resp, err := h.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(resp.GetExecutions()) < 3 {
		h.t.Fatalf("found %d executions for card %s, want its request, issue and activation", len(resp.GetExecutions()), cardID)
	}
	for _, e := range resp.GetExecutions() {
		it := h.client.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			event, err := it.Next()
			if err != nil {
				h.t.Fatal(err)
			}
			raw, err := proto.Marshal(event)
			if err != nil {
				h.t.Fatal(err)
			}
			out.Write(raw)
		}
	}
	return out.String()
}

// dumpTables is every row of every table of the test's database as JSON.
func (h *harness) dumpTables() string {
	h.t.Helper()
	var tables []string
	if err := h.store.DB.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`); err != nil {
		h.t.Fatal(err)
	}
	var out strings.Builder
	for _, table := range tables {
		var rows []string
		if err := h.store.DB.Select(&rows, fmt.Sprintf(`SELECT row_to_json(t)::text FROM %q t`, table)); err != nil {
			h.t.Fatalf("dump %s: %v", table, err)
		}
		out.WriteString(strings.Join(rows, "\n"))
	}
	return out.String()
}

// readTree is the content of every file under dir.
func readTree(t *testing.T, dir string) string {
	t.Helper()
	var out strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		out.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}
