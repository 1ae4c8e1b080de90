package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// A grant revoked under a running worker is not an outage: the work that
// needs it is retried (nothing is lost once it is granted back), and the
// worker says precisely what is missing, once: an error line naming the
// privilege and the table, /readyz 503 "permission denied: INSERT on
// card_events", retries counted with cause permission_denied. The audit
// trail is written by an activity, the notifications table by the e-mail
// outbox dispatcher: both report the same way.
func TestMissingGrantIsReportedOnceAndRetriedUntilGranted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	role, roleURL := testkit.Role(t, h.databaseURL)
	// Registered after NewRole, so it runs first: the role's sessions end
	// before the role is dropped.
	t.Cleanup(func() { h.stopWorker() })
	if err := schema.Grant(ctx, h.store.DB.DB, role); err != nil {
		t.Fatal(err)
	}
	relay := smtptest.Start(t)
	h.stopWorker()
	core, logs := observer.New(zap.InfoLevel)
	cfg := h.workerConfig(zap.New(zapcore.NewTee(core, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core())))
	cfg.DatabaseURL = roleURL
	cfg.Mail = mailConfig("smtp://" + relay.Addr + "?tls=none")
	h.startWorkerWith(cfg)

	h.exec(`REVOKE INSERT ON card_events FROM ` + role)
	h.exec(`REVOKE INSERT ON notifications FROM ` + role)
	user := h.user("active")
	id := uuid.NewString() // a fresh request each run: the dev server outlives one run
	_, done := h.starterAsync("request", "--user", user, "--operator", "olivia", "--request-id", id, "--timeout", "120s", "--json")
	h.workflowIDs = append(h.workflowIDs, requestcard.WorkflowID(id))

	body := h.waitForReadiness(30*time.Second, 503, "permission denied: INSERT on card_events")
	if strings.Contains(body, "unreachable") {
		t.Fatalf("/readyz calls a missing grant an outage: %s", body)
	}
	waitForMetrics(t, h.metricsURL, 10*time.Second, `cause="permission_denied"`, `cardflow_permission_denied{object="card_events",privilege="INSERT"} 1`,
		`cardflow_dependency_up{dependency="postgresql"} 1`)
	if n := h.countCards(user); n != 0 {
		t.Fatalf("%d cards written without their audit event", n)
	}

	h.exec(`GRANT INSERT ON card_events TO ` + role)
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stdout, `"state": "requested"`) {
			t.Fatalf("request after the grant: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the request did not complete within 60s of the grant")
	}
	if n, ev := h.countCards(user), h.events(id); n != 1 || len(ev) != 1 {
		t.Fatalf("%d cards and audit events %q after the grant, want exactly one of each", n, ev)
	}

	// The requested e-mails are queued with the card; the dispatcher may
	// not record them.
	h.waitForReadiness(30*time.Second, 503, "permission denied: INSERT on notifications")
	waitForMetrics(t, h.metricsURL, 10*time.Second, `cardflow_permission_denied{object="notifications",privilege="INSERT"} 1`)
	if len(relay.Messages()) != 0 {
		t.Fatalf("%d e-mails sent without their notifications rows", len(relay.Messages()))
	}
	h.exec(`GRANT INSERT ON notifications TO ` + role)
	h.waitForReadiness(30*time.Second, 200, "ready")
	if !relay.Wait(60*time.Second, func() bool { return len(relay.Messages()) >= 3 }) {
		t.Fatalf("%d e-mails within 60s of the grant, want the three approvers'", len(relay.Messages()))
	}
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		rows, sent := h.notificationRows(id), 0
		for _, row := range rows {
			if row.Status == store.NotificationSent {
				sent++
			}
		}
		return len(rows) > 0 && sent == len(rows), fmt.Sprintf("notifications not all recorded as sent: %v", rows)
	})
	if got := h.statusOf("status", "--request", id); got.State != cards.StateRequested {
		t.Fatalf("status after the grants: %+v", got)
	}
	if strings.Contains(scrape(t, h.metricsURL), "cardflow_permission_denied{") {
		t.Fatalf("cardflow_permission_denied still set after the grants:\n%s", grepLines(scrape(t, h.metricsURL), "cardflow_permission_denied"))
	}

	// One error line per missing privilege, naming it, the table and the
	// fix; nothing else at warning level or above repeats the refusal.
	for _, table := range []string{"card_events", "notifications"} {
		lines := logs.FilterMessageSnippet("lacks INSERT on " + table).All()
		if len(lines) != 1 || lines[0].Level != zap.ErrorLevel || lines[0].ContextMap()["privilege"] != "INSERT" ||
			lines[0].ContextMap()["object"] != table || !strings.Contains(lines[0].ContextMap()["fix"].(string), "--grant-to "+role) {
			t.Errorf("error lines for INSERT on %s: %v", table, describeEntries(lines))
		}
		if n := logs.FilterMessageSnippet("privilege granted: INSERT on " + table).Len(); n != 1 {
			t.Errorf("%d lines saying INSERT on %s was granted, want 1", n, table)
		}
	}
	var noisy []observer.LoggedEntry
	for _, e := range logs.FilterLevelExact(zap.WarnLevel).All() {
		if strings.Contains(describeEntries([]observer.LoggedEntry{e}), "permission denied") {
			noisy = append(noisy, e)
		}
	}
	errorLines := logs.FilterLevelExact(zap.ErrorLevel).All()
	if len(noisy) > 0 || len(errorLines) != 2 {
		t.Errorf("warnings about the refusal %v; error lines %v (want the two above only)", describeEntries(noisy), describeEntries(errorLines))
	}
}

// waitForReadiness polls /readyz until it answers code with a body that
// contains want, and returns the body.
func (h *harness) waitForReadiness(within time.Duration, code int, want string) string {
	h.t.Helper()
	var body string
	testkit.Eventually(h.t, within, func() (bool, string) {
		got := 0
		body = ""
		if resp, err := http.Get(h.metricsURL + "/readyz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			got, body = resp.StatusCode, string(b)
		}
		return got == code && strings.Contains(body, want), fmt.Sprintf("/readyz = %d %q, want %d with %q", got, body, code, want)
	})
	return body
}

func describeEntries(entries []observer.LoggedEntry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Level.String() + " " + e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// A role without a privilege the worker needs is refused at start, with
// each missing privilege named and the command that grants them.
func TestWorkerRefusesToStartWithoutAPrivilegeItNeeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	role, roleURL := testkit.Role(t, h.databaseURL)
	if err := schema.Grant(context.Background(), h.store.DB.DB, role); err != nil {
		t.Fatal(err)
	}
	h.exec(`REVOKE INSERT ON notifications FROM ` + role)
	h.exec(`REVOKE UPDATE (state) ON cards FROM ` + role)
	cfg := h.workerConfig(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	cfg.DatabaseURL = roleURL
	err := runWorkerUntilReady(cfg)
	want := "database role " + role + " lacks privileges the worker needs: UPDATE (state, updated_at) on cards; INSERT on notifications: " +
		"grant them with `worker migrate --grant-to " + role + "` as the tables' owner (or `psql -v role=" + role + " -f schema/grants.sql`)"
	if err == nil || err.Error() != want {
		t.Fatalf("worker as %s without two privileges:\n got %v\nwant %s", role, err, want)
	}
}
