package workercmd

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/cliparse"
)

func TestHelpListsFlagsEnvironmentAndDefaults(t *testing.T) {
	cases := map[string][]string{
		"run": {"--database-url", "$DATABASE_URL", cliparse.DefaultDatabaseURL, "--task-queue", "$CARDS_TASK_QUEUE", `"cards"`,
			"--policy", "$CARDS_POLICY", "config/policy.yaml", "--temporal-address", "$TEMPORAL_ADDRESS", "localhost:7233",
			"--temporal-namespace", "$TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CLIENT_CERT_PATH",
			"--log-format", "$CARDS_LOG_FORMAT", `"console"`, "--log-level", "$CARDS_LOG_LEVEL", `"info"`,
			"--metrics-address", "$CARDS_METRICS_ADDRESS", `":9464"`, "--db-max-conns", "$CARDS_DB_MAX_CONNS", "20",
			"--workflow-pollers", "$CARDS_WORKFLOW_POLLERS", "--activity-pollers", "$CARDS_ACTIVITY_POLLERS",
			"--codec-keys", "$CARDS_CODEC_KEYS", ".run/codec-keys", "--codec-require", "$CARDS_CODEC_REQUIRE",
			"--smtp-url", "$CARDS_SMTP_URL", "tls=none|opportunistic|mandatory", "--mail-from", "$CARDS_MAIL_FROM",
			"--mail-templates", "$CARDS_MAIL_TEMPLATES", "--console-url", "$CARDS_CONSOLE_URL", "http://127.0.0.1:8080",
			"--retry-for", "$CARDS_RETRY_FOR", "=1h", "--workflow-cache", "$CARDS_WORKFLOW_CACHE", "2000"},
		"codec-server": {"--codec-keys", "$CARDS_CODEC_KEYS", "--listen", "$CARDS_CODEC_LISTEN", "127.0.0.1:8234",
			"--cors-origins", "$CARDS_CODEC_CORS_ORIGINS", "http://localhost:8233", "--token", "$CARDS_CODEC_TOKEN"},
		"migrate": {"--database-url", "$DATABASE_URL", cliparse.DefaultDatabaseURL, "--log-format", "--grant-to", "$CARDS_DB_GRANT_TO"},
		"grants":  {"<role>", "DATABASE_URL"},
	}
	for cmd, wants := range cases {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), []string{cmd, "--help"}, &out, &errOut); code != 0 {
			t.Fatalf("worker %s --help: exit %d: %s", cmd, code, errOut.String())
		}
		for _, want := range wants {
			if !strings.Contains(out.String(), want) {
				t.Errorf("worker %s --help lacks %q:\n%s", cmd, want, out.String())
			}
		}
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"--log-format", "xml"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestRetryForMustBePositive(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--retry-for", "0s", "--metrics-address", ""}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "--retry-for (CARDS_RETRY_FOR) must be positive") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestWorkflowCacheMustBePositive(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--workflow-cache", "0", "--metrics-address", ""}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "--workflow-cache (CARDS_WORKFLOW_CACHE) must be positive") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
