package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestSmoke runs the harness small (N=50, C=8) on a dev server and a fresh
// database: it checks correctness only (every card in its expected state,
// none written twice, one write transaction per state change) and prints the
// figures; no timing can fail it.
func TestSmoke(t *testing.T) {
	var progress bytes.Buffer
	cfg := Config{
		N: 50, C: 8, Rounds: 2, Scenarios: []string{NoApproval, Approval},
		StartMode: "update-with-start", BaselineLocalReads: true, BaselineMetrics: true,
		TemporalCLI: filepath.Join("..", "bin", "temporal"),
		PostgresURL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		DBPool:      10, Progress: &progress,
		// Encrypted, as `make up` runs: the codec must not change any outcome.
		CodecKeys: writeKeyFile(t),
	}
	report, err := Run(context.Background(), cfg)
	if report != nil {
		var table bytes.Buffer
		printTable(&table, report.Summaries, report.Ratios)
		t.Log(table.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	for _, c := range report.Database {
		if !c.OneTransactionPerChange {
			t.Errorf("%s: %.2f write transactions per card for %d state changes", c.Scenario, c.WriteTransactions, c.StateChangesPerCard)
		}
	}
	if progress.Len() == 0 {
		t.Error("the harness showed no progress")
	}
}

func writeKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "codec-keys")
	if err := os.WriteFile(path, []byte("bench MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
