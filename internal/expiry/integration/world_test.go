// Package integration tests the expiry sweep end to end: the real worker
// (workerapp.Run) with its Schedule, the real starter (expiry sweep), a
// Temporal dev server, PostgreSQL and Mailpit, with validities and marks of
// seconds. Cards are written straight into PostgreSQL in the state and
// with the valid_until a test needs.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/startercmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
)

// TestMain stops the dev server the tests share.
func TestMain(m *testing.M) { testkit.Main(m) }

// policy has a card type of seconds: valid 60 s, reminded 40 s and 20 s
// before its end; standard keeps the defaults (a 60-day first mark).
const policy = `
useCases: {requestCard: true}
defaultCardType: standard
cardTypes:
  standard: {}
  quick:
    validity: 60s
    expiry: {remindBefore: [40s, 20s], remindDaily: false}
`

// world is one test's: a database, a policy, a task queue, a Schedule id,
// a Mailpit, a Temporal client.
type world struct {
	t          *testing.T
	temporal   string
	dbURL      string
	st         *store.Store
	policyPath string
	taskQueue  string
	scheduleID string
	mail       *testkit.MailpitServer
	client     client.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, temporal: testkit.DevServer(t), taskQueue: testkit.TaskQueue(t)}
	w.scheduleID = "card-expiry-sweep-" + w.taskQueue
	w.st, w.dbURL = testkit.Store(t)
	w.policyPath = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(w.policyPath, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	w.mail = testkit.Mailpit(t)
	c, err := client.Dial(client.Options{HostPort: w.temporal, Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w.client = c
	return w
}

// config is what the worker main would build, with e-mail through Mailpit.
func (w *world) config() workerapp.Config {
	return workerapp.Config{
		DatabaseURL: w.dbURL, TaskQueue: w.taskQueue, PolicyPath: w.policyPath,
		Temporal: temporalconn.Settings{Address: w.temporal, Namespace: "default", CodecKeys: codec.Plaintext},
		Logger:   zaptest.NewLogger(w.t, zaptest.Level(zap.WarnLevel)),
		Mail:     notify.Config{SMTPURL: w.mail.SMTPURL(), From: "cardflow <cards@example.com>"},
		Expiry:   workerapp.ExpirySchedule{ID: w.scheduleID},
	}
}

func (w *world) worker() *testkit.RunningWorker { return testkit.Worker(w.t, w.config()) }

// holders adds n users with e-mail addresses and returns their ids.
func (w *world) holders(prefix string, n int) []string {
	w.t.Helper()
	_, err := w.st.DB.Exec(`INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT $1::text || g, 'Given', $1::text || g, $1::text || g || '@example.com', $1::text || g || '@mail.example.com', 'active'
		FROM generate_series(1, $2) g`, prefix, n)
	if err != nil {
		w.t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return ids
}

// card writes a card of cardType in state for user, valid until
// validUntil, issued at issued (no issue row when zero).
func (w *world) card(user, cardType, state string, validUntil, issued time.Time) string {
	w.t.Helper()
	id := uuid.NewString()
	_, err := w.st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until, card_number)
		VALUES ($1::uuid, $2::text, $3, 'Given ' || $2::text, $2::text || '@example.com', $4, 'olivia', 'request-card-' || $1::text, $5, 'C' || substr(replace($1::text, '-', ''), 1, 12))`,
		id, user, cardType, state, validUntil)
	if err != nil {
		w.t.Fatal(err)
	}
	if !issued.IsZero() {
		if _, err := w.st.DB.Exec(`INSERT INTO card_events (card_id, at, actor, from_state, to_state, event) VALUES ($1, $2, 'olivia', 'approved', 'issued', 'issue')`, id, issued); err != nil {
			w.t.Fatal(err)
		}
	}
	return id
}

// sweepDoc is what `starter expiry sweep --json` prints.
type sweepDoc struct {
	WorkflowID string        `json:"workflowId"`
	Now        time.Time     `json:"now"`
	Reminded   int           `json:"reminded"`
	Expired    int           `json:"expired"`
	Visited    int           `json:"visited"`
	Pages      int           `json:"pages"`
	CardTypes  expiry.Totals `json:"cardTypes"`
}

// starter runs the real starter in-process.
func (w *world) starter(args ...string) (code int, stdout, stderr string) {
	full := append([]string{"--temporal-address", w.temporal, "--database-url", w.dbURL, "--task-queue", w.taskQueue,
		"--timeout", "90s", "--codec-keys", codec.Plaintext}, args...)
	var out, errOut bytes.Buffer
	code = startercmd.Run(context.Background(), full, &out, &errOut)
	return code, out.String(), errOut.String()
}

// sweep runs `starter expiry sweep --json` and decodes its answer.
func (w *world) sweep(extra ...string) sweepDoc {
	w.t.Helper()
	code, out, errOut := w.starter(append([]string{"expiry", "sweep", "--json"}, extra...)...)
	if code != 0 {
		w.t.Fatalf("starter expiry sweep: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var d sweepDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		w.t.Fatalf("starter expiry sweep: %v\n%s", err, out)
	}
	return d
}

// count runs a counting query.
func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.st.DB.Get(&n, query, args...); err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mails counts Mailpit's messages whose subject contains what.
func (w *world) mails(what string) int {
	n := 0
	for _, m := range w.mail.List() {
		if strings.Contains(m.Subject, what) {
			n++
		}
	}
	return n
}
