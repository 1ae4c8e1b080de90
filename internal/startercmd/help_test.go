package startercmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func help(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), append(args, "--help"), &out, &errOut); code != 0 {
		t.Fatalf("starter %v --help: exit %d: %s", args, code, errOut.String())
	}
	return out.String()
}

// Every command documents each flag, its environment variable and its default.
func TestHelpListsFlagsEnvironmentAndDefaults(t *testing.T) {
	globals := []string{
		"--json", "--temporal-address", "$TEMPORAL_ADDRESS", "localhost:7233", "--temporal-namespace", "$TEMPORAL_NAMESPACE",
		"--task-queue", "$CARDS_TASK_QUEUE", `"cards"`, "--database-url", "$DATABASE_URL",
		"postgres://postgres@localhost:5432/cards?sslmode=disable", "--timeout", "$CARDS_TIMEOUT", "60s", "--temporal-wait", "$CARDS_TEMPORAL_WAIT",
		"TEMPORAL_API_KEY", "TEMPORAL_TLS_", "--codec-keys", "$CARDS_CODEC_KEYS", ".run/codec-keys",
	}
	commands := map[string][]string{
		"request":      {"--user", "--card-type", "defaultCardType", "--operator", "operating-system user", "--request-id"},
		"approve":      {"--request", "--approver", "--comment"},
		"reject":       {"--request", "--approver", "--comment", "required"},
		"cancel":       {"--request", "--operator", "--comment"},
		"status":       {"--request"},
		"list":         {"--state", "--user", "--limit", "50"},
		"users upsert": {"--id", "--given-name", "--surname", "--upn", "--email", "--state"},
		"repair":       {"--dry-run"},
	}
	for cmd, flags := range commands {
		text := help(t, strings.Fields(cmd)...)
		for _, want := range append(flags, globals...) {
			if !strings.Contains(text, want) {
				t.Errorf("starter %s --help lacks %q:\n%s", cmd, want, text)
			}
		}
	}
	top := help(t)
	for cmd := range commands {
		if !strings.Contains(top, strings.Fields(cmd)[0]) {
			t.Errorf("starter --help does not list %s", cmd)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{}, {"fly"}, {"request"}, {"reject", "--request", "x", "--approver", "a"}, {"list", "--limit", "zero"}} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("starter %v: exit %d, want 2", args, code)
		}
	}
}
