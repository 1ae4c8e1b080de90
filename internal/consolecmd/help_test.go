package consolecmd

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/console"
	"github.com/cardflow/cardflow/internal/stationcmd"
)

// --help lists each flag with its environment variable and default: the
// console's own and those it shares with the worker and the starter.
func TestHelpListsFlagsEnvironmentAndDefaults(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("console --help: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"--listen", "$CARDS_CONSOLE_LISTEN", "127.0.0.1:8080", "--url", "$CARDS_CONSOLE_URL",
		"--oidc-issuer", "$CARDS_OIDC_ISSUER", "--oidc-client-id", "$CARDS_OIDC_CLIENT_ID",
		"--oidc-client-secret", "$CARDS_OIDC_CLIENT_SECRET", "--oidc-user-claim", "$CARDS_OIDC_USER_CLAIM", `"email"`,
		"--database-url", "$DATABASE_URL", cliparse.DefaultDatabaseURL,
		"--temporal-address", "$TEMPORAL_ADDRESS", "localhost:7233", "TEMPORAL_API_KEY",
		"--temporal-namespace", "$TEMPORAL_NAMESPACE", "--task-queue", "$CARDS_TASK_QUEUE", `"cards"`,
		"--policy", "$CARDS_POLICY", "config/policy.yaml", "--codec-keys", "$CARDS_CODEC_KEYS", ".run/codec-keys",
		"--station-output-root", "$CARDS_STATION_OUTPUT_ROOT", `".run/stations"`,
		"--log-format", "$CARDS_LOG_FORMAT", `"console"`, "--log-level", "$CARDS_LOG_LEVEL", `"info"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console --help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"--log-level", "loud"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

// A console that cannot start says which setting to change and exits 1.
func TestMissingIssuerExitsOne(t *testing.T) {
	t.Setenv("CARDS_OIDC_ISSUER", "")
	t.Setenv("CARDS_CODEC_KEYS", "none") // the key check comes first; this test is about the issuer
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--oidc-client-id", "c"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "CARDS_OIDC_ISSUER is not set") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// The console's default station output root is the stations' own, so that
// make up's console shows what make up's stations print.
func TestStationOutputRootMatchesTheStations(t *testing.T) {
	if console.DefaultStationOutputRoot != stationcmd.DefaultOutputRoot {
		t.Errorf("console default %q, stations' %q", console.DefaultStationOutputRoot, stationcmd.DefaultOutputRoot)
	}
}
