package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/schema"
	"github.com/google/uuid"
)

const unreachableDatabase = "postgres://postgres@127.0.0.1:1/cards?sslmode=disable&connect_timeout=2"

func TestUnreachableDatabaseExitsOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.databaseURL = unreachableDatabase
	for _, args := range [][]string{
		{"list"},
		{"users", "upsert", "--id", "x", "--given-name", "X", "--surname", "Y", "--upn", "x@example.com", "--state", "active"},
	} {
		r := h.starter(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "PostgreSQL unreachable") {
			t.Fatalf("starter %v: exit %d, stderr %q; want 1 and a message naming PostgreSQL", args, r.code, r.stderr)
		}
	}
	cfg := h.workerConfig(nil)
	cfg.DatabaseURL = unreachableDatabase
	if err := workerapp.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "PostgreSQL unreachable") {
		t.Fatalf("worker with unreachable database: %v", err)
	}
}

func TestUnreachableTemporalExitsOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.starter("--temporal-address", "127.0.0.1:1", "status", "--request", uuid.NewString())
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach Temporal at 127.0.0.1:1") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRequestWithNoWorkerTimesOutWithAHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	r := h.starter("--task-queue", h.taskQueue+"-nobody", "--timeout", "2s", "request", "--user", user)
	if r.code != 1 || !strings.Contains(r.stderr, "is a worker polling task queue") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	unknown := uuid.NewString()
	for _, args := range [][]string{
		{"request"},
		{"request", "--user", "u", "--request-id", "not-a-uuid"},
		{"approve", "--request", unknown},
		{"status", "--request", "nope"},
		{"list", "--state", "printed"},
		{"fly"},
	} {
		if r := h.starter(args...); r.code != 2 {
			t.Errorf("starter %v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
	h.refusal(3, cards.ErrNotFound, "status", "--request", unknown)
	h.refusal(3, cards.ErrNotFound, "approve", "--request", unknown, "--approver", "alice")
}

func TestListFiltersAndJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	requested := h.request(user, "")
	approved := h.request(user, "visitor")
	r := h.starter("list", "--user", user, "--state", "requested", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, requested.ID) || strings.Contains(r.stdout, approved.ID) || !strings.HasPrefix(strings.TrimSpace(r.stdout), `{`) || !strings.Contains(r.stdout, `"cards"`) {
		t.Fatalf("list: exit %d\n%s", r.code, r.stdout)
	}
	r = h.starter("list", "--user", user)
	if r.code != 0 || !strings.Contains(r.stdout, requested.ID) || !strings.Contains(r.stdout, approved.ID) {
		t.Fatalf("list (text): %s", r.stdout)
	}
}

func TestWorkerRefusesToStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, policy, want string
	}{
		{"no use case", write("off.yaml", "cardTypes:\n  standard:\n    approval: {required: false}\n"), "enables no use case"},
		{"unknown key", write("typo.yaml", "useCases: {requestCard: true}\ncardTypes:\n  standard:\n    aproval: {}\n"), "aproval"},
		{"bad template", write("tmpl.yaml", "useCases: {requestCard: true}\ncardTypes:\n  standard:\n    mapping: {commonName: \"{{.GivenName\"}\n"), "commonName"},
		{"missing file", filepath.Join(dir, "absent.yaml"), "CARDS_POLICY"},
	}
	for _, tc := range cases {
		cfg := h.workerConfig(nil)
		cfg.PolicyPath = tc.policy
		err := workerapp.Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	// An unmigrated database: the message names the command that fixes it.
	cfg := h.workerConfig(nil)
	cfg.DatabaseURL = testkit.EmptyDatabase(t)
	err := workerapp.Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), schema.MigrateCommand) {
		t.Fatalf("old schema: err = %v", err)
	}
}
