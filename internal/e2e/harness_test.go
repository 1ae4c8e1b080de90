// Package e2e drives the real starter and worker code against a real Temporal
// dev server (the pinned CLI in bin/) and a real PostgreSQL.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/startercmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// TestMain stops the dev server the tests share (testkit.DevServer).
func TestMain(m *testing.M) { testkit.Main(m) }

// harness is one test's world: its own database, policy, task queue and worker.
type harness struct {
	t testing.TB
	// temporal is the dev server's address (testkit.DevServer).
	temporal    string
	databaseURL string
	policyPath  string
	taskQueue   string
	store       *store.Store
	client      client.Client
	worker      *testkit.RunningWorker
	// metricsURL is the running worker's metrics server.
	metricsURL string
	// workflowIDs are the requests this test made, for recordHistories.
	workflowIDs []string
	// codecKeys is the payload key file of worker, starter and client ("" for none).
	codecKeys string
	// prod is Issue card's world (withProduction), nil when it is off.
	prod *production
}

// harnessOption changes how newHarness sets a test's world up.
type harnessOption func(*harness)

func newHarness(t testing.TB, options ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		t:          t,
		temporal:   testkit.DevServer(t),
		policyPath: testkit.PolicyFile(t),
		taskQueue:  testkit.TaskQueue(t),
	}
	for _, o := range options {
		o(h)
	}
	h.store, h.databaseURL = testkit.Store(t, directory...)
	c, err := client.Dial(h.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h.client = c
	t.Cleanup(h.recordHistories)
	h.startWorker()
	return h
}

// The directory's people that the tests act as: olivia requests (operator),
// alice, bernard and carl decide (approver), mallory is active without a role.
var directory = []cards.User{
	{ID: "olivia", GivenName: "Olivia", Surname: "Operator", UPN: "olivia@example.com", Email: "olivia@example.com", State: "active", Roles: []string{"operator"}},
	{ID: "alice", GivenName: "Alice", Surname: "Archer", UPN: "alice@example.com", Email: "alice@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "bernard", GivenName: "Bernard", Surname: "Brook", UPN: "bernard@example.com", Email: "bernard@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "carl", GivenName: "Carl", Surname: "Clay", UPN: "carl@example.com", Email: "carl@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "mallory", GivenName: "Mallory", Surname: "Mole", UPN: "mallory@example.com", Email: "mallory@example.com", State: "active"},
}

// workerConfig is the configuration the real worker main would build.
func (h *harness) workerConfig(logger *zap.Logger) workerapp.Config {
	return h.productionConfig(workerapp.Config{
		DatabaseURL: h.databaseURL,
		TaskQueue:   h.taskQueue,
		PolicyPath:  h.policyPath,
		Temporal:    temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
		Logger:      logger,
	})
}

// startWorker runs the worker until stopWorker; it returns once it polls.
func (h *harness) startWorker() {
	h.t.Helper()
	h.startWorkerWith(h.workerConfig(zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel))))
}

// startWorkerWith runs the worker with cfg until stopWorker.
func (h *harness) startWorkerWith(cfg workerapp.Config) {
	h.t.Helper()
	h.worker = testkit.Worker(h.t, cfg)
	h.metricsURL = h.worker.MetricsURL
}

// stopWorker stops the running worker (as SIGTERM would).
func (h *harness) stopWorker() { h.worker.Stop() }

// result is what a starter command printed and returned.
type result struct {
	code   int
	stdout string
	stderr string
}

// starter runs the real starter command line in-process.
func (h *harness) starter(args ...string) result {
	h.t.Helper()
	full := []string{"--temporal-address", h.temporal, "--database-url", h.databaseURL, "--task-queue", h.taskQueue, "--timeout", "30s"}
	full = append(full, "--codec-keys", h.codecSetting())
	full = append(full, args...)
	var stdout, stderr bytes.Buffer
	code := startercmd.Run(context.Background(), full, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// status runs a starter command with --json and decodes the status document.
func (h *harness) statusOf(args ...string) cards.Status {
	h.t.Helper()
	r := h.starter(append(args, "--json")...)
	if r.code != 0 {
		h.t.Fatalf("starter %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	var s cards.Status
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		h.t.Fatalf("starter %v: stdout is not a status document: %v\n%s", args, err, r.stdout)
	}
	return s
}

// refusal runs a starter command expected to fail, and checks exit code and type.
func (h *harness) refusal(wantCode int, wantType string, args ...string) string {
	h.t.Helper()
	r := h.starter(append(args, "--json")...)
	if r.code != wantCode {
		h.t.Fatalf("starter %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, wantCode, r.stdout, r.stderr)
	}
	var doc struct {
		Error struct{ Type, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		h.t.Fatalf("starter %v: stdout is not an error document: %v\n%s", args, err, r.stdout)
	}
	if doc.Error.Type != wantType {
		h.t.Fatalf("starter %v: error type %q, want %q (%s)", args, doc.Error.Type, wantType, doc.Error.Message)
	}
	return doc.Error.Message
}

var userSeq atomic.Int64

// user adds a user to the directory with the starter and returns its id.
func (h *harness) user(state string) string {
	h.t.Helper()
	id := fmt.Sprintf("u%d", userSeq.Add(1))
	r := h.starter("users", "upsert", "--id", id, "--given-name", "Given"+id, "--surname", "Surname"+id,
		"--upn", id+"@example.com", "--email", id+"@mail.example.com", "--state", state)
	if r.code != 0 {
		h.t.Fatalf("users upsert: exit %d: %s", r.code, r.stderr)
	}
	return id
}

// request requests a card and returns its status.
func (h *harness) request(user, cardType string, extra ...string) cards.Status {
	h.t.Helper()
	args := []string{"request", "--user", user, "--operator", "olivia"}
	if cardType != "" {
		args = append(args, "--card-type", cardType)
	}
	s := h.statusOf(append(args, extra...)...)
	h.workflowIDs = append(h.workflowIDs, s.WorkflowID)
	return s
}

// wait blocks until the request's workflow closes and returns its error.
func (h *harness) wait(cardID string) error {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var s cards.Status
	return h.client.GetWorkflow(ctx, requestcard.WorkflowID(cardID), "").Get(ctx, &s)
}

// card reads the stored card.
func (h *harness) card(cardID string) store.Card {
	h.t.Helper()
	c, err := h.store.Card(context.Background(), cardID)
	if err != nil {
		h.t.Fatalf("read card %s: %v", cardID, err)
	}
	return c
}

// events reads the audit trail as "from->to by actor: comment" lines.
func (h *harness) events(cardID string) []string {
	h.t.Helper()
	evs, err := h.store.Events(context.Background(), cardID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s->%s by %s: %s", e.FromState.String, e.ToState, e.Actor, e.Comment))
	}
	return out
}

func (h *harness) countCards(user string) int {
	h.t.Helper()
	var n int
	if err := h.store.DB.Get(&n, `SELECT count(*) FROM cards WHERE user_id = $1`, user); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// temporalCmd runs the pinned Temporal CLI against the test server.
func (h *harness) temporalCmd(args ...string) string {
	h.t.Helper()
	cmd := exec.Command(testkit.Bin(h.t, "temporal"), append(args, "--address", h.temporal)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("temporal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func isAppError(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}
