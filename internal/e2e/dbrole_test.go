package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lib/pq"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/internal/workercmd"
)

// worker runs the real worker command line in-process.
func worker(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := workercmd.Run(context.Background(), args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// The worker and the starter run the whole use case as a login role that
// holds only schema/grants.sql, and that role can neither
// rewrite the audit trail nor change the schema.
func TestWorkerAndStarterNeedOnlyTheGrantedPrivileges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ownerURL := h.databaseURL
	role, roleURL := testkit.Role(t, ownerURL)
	// Registered after NewRole, so it runs first: the role's sessions end
	// before the role is dropped.
	t.Cleanup(func() { h.stopWorker() })
	h.stopWorker()

	// Without the grants the worker stops at start and says why.
	cfg := h.workerConfig(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	cfg.DatabaseURL = roleURL
	cfg.MetricsAddress = ""
	if err := runWorkerUntilReady(cfg); err == nil || !strings.Contains(err.Error(), "lacks privileges the worker needs: SELECT on goose_db_version; ") ||
		!strings.Contains(err.Error(), "--grant-to "+role) {
		t.Fatalf("worker as %s before the grants: err = %v, want the missing privileges named and how to grant them", role, err)
	}

	r := worker("migrate", "--database-url", ownerURL, "--grant-to", role)
	if r.code != 0 || !strings.Contains(r.stdout, "Granted role "+role) {
		t.Fatalf("worker migrate --grant-to %s: exit %d\nstdout: %s\nstderr: %s", role, r.code, r.stdout, r.stderr)
	}

	// From here on the worker and every starter command connect as the role.
	h.databaseURL = roleURL
	h.startWorker()
	user := h.user("active")
	r = h.starter("users", "upsert", "--id", "gina", "--given-name", "Gina", "--surname", "Grant", "--upn", "gina@example.com",
		"--email", "gina@example.com", "--state", "active", "--role", "approver", "--role", "auditor")
	if r.code != 0 {
		t.Fatalf("users upsert as %s: exit %d: %s", role, r.code, r.stderr)
	}
	r = h.starter("users", "upsert", "--id", "gina", "--given-name", "Gina", "--surname", "Grant", "--upn", "gina@example.com",
		"--email", "gina@example.com", "--state", "active", "--role", "approver")
	if r.code != 0 {
		t.Fatalf("users upsert (a role removed) as %s: exit %d: %s", role, r.code, r.stderr)
	}

	s := h.request(user, "")
	if s.State != cards.StateRequested {
		t.Fatalf("request as %s: %+v", role, s)
	}
	s = h.statusOf("approve", "--request", s.ID, "--approver", "gina", "--comment", "checked")
	if s.State != cards.StateApproved {
		t.Fatalf("approve as %s: %+v", role, s)
	}
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	rejected := h.request(user, "")
	h.statusOf("reject", "--request", rejected.ID, "--approver", "gina", "--comment", "not needed")
	aborted := h.request(user, "")
	h.statusOf("cancel", "--request", aborted.ID, "--operator", "olivia")
	visitor := h.request(user, "visitor")
	if visitor.State != cards.StateApproved {
		t.Fatalf("visitor card as %s: %+v", role, visitor)
	}
	if r := h.starter("list", "--user", user); r.code != 0 || strings.Count(r.stdout, user) < 4 {
		t.Fatalf("list as %s: exit %d\n%s%s", role, r.code, r.stdout, r.stderr)
	}
	// The request, gina's vote (the approval process's row, written as the
	// role too), the approval.
	if got := h.events(s.ID); len(got) != 3 || got[1] != "requested->requested by gina: checked" || !strings.HasPrefix(got[2], "requested->approved by gina") {
		t.Fatalf("audit trail: %v", got)
	}

	app := testkit.Open(t, roleURL)
	for _, stmt := range []string{
		`UPDATE card_events SET comment = 'rewritten'`,
		`DELETE FROM card_events`,
		`TRUNCATE card_events`,
		`CREATE TABLE intruder (id int)`,
	} {
		_, err := app.Exec(stmt)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("as %s: %s: err = %v, want permission denied", role, stmt, err)
		}
	}

	// Nor can the role run migrations, not even on a database of its own
	// making: it may not create the version table.
	empty, err := url.Parse(testkit.EmptyDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	asRole, _ := url.Parse(roleURL)
	asRole.Path = empty.Path
	r = worker("migrate", "--database-url", asRole.String())
	if r.code != 1 || !strings.Contains(r.stderr, "permission denied for schema public") {
		t.Fatalf("worker migrate as %s: exit %d, want 1 with permission denied\nstdout: %s\nstderr: %s", role, r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, ":"+mustPassword(t, asRole)+"@") {
		t.Fatalf("the migrate error shows the password: %s", r.stderr)
	}
}

func mustPassword(t *testing.T, u *url.URL) string {
	t.Helper()
	p, ok := u.User.Password()
	if !ok {
		t.Fatal("role URL without a password")
	}
	return p
}

// runWorkerUntilReady starts the worker and returns its start-up error, or
// nil (after stopping it) once it polls.
func runWorkerUntilReady(cfg workerapp.Config) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	cfg.OnReady = func(workerapp.Ready) { close(ready) }
	done := make(chan error, 1)
	go func() { done <- workerapp.Run(ctx, cfg) }()
	select {
	case err := <-done:
		return err
	case <-ready:
		cancel()
		<-done
		return nil
	}
}
