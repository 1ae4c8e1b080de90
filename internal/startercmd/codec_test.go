package startercmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A malformed key file stops every command, with the line, before anything
// is sent.
func TestMalformedKeyFileStopsTheStarter(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\nk1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"status", "--request", "5b7e0a4e-8f0e-4a55-9d59-2a3f1f7e8c11"},
		{"list"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"--codec-keys", keys, "--json"}, args...), &out, &errOut)
		if code != ExitFailure || !strings.Contains(out.String(), `"type": "BadKeyFile"`) ||
			!strings.Contains(errOut.String(), keys+" (CARDS_CODEC_KEYS) line 2: duplicate key id \"k1\"") {
			t.Errorf("starter %s: exit %d\nstdout %s\nstderr %s", args[0], code, out.String(), errOut.String())
		}
	}
}

// Without a key file the commands that talk to Temporal stop before they
// send anything, saying to set CARDS_CODEC_KEYS; exit 1 like a broken file.
// Those that read PostgreSQL only run on; CARDS_CODEC_KEYS=none runs in clear.
func TestNoKeyFileStopsCommandsThatReachTemporal(t *testing.T) {
	t.Chdir(t.TempDir()) // no .run/codec-keys here
	t.Setenv("CARDS_CODEC_KEYS", "")
	unreachable := []string{"--temporal-address", "127.0.0.1:1", "--temporal-wait", "0s", "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "--json"}
	for _, args := range [][]string{
		{"status", "--request", "5b7e0a4e-8f0e-4a55-9d59-2a3f1f7e8c11"},
		{"request", "--user", "alice"},
		{"approve", "--request", "5b7e0a4e-8f0e-4a55-9d59-2a3f1f7e8c11", "--approver", "bernard"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append(unreachable, args...), &out, &errOut)
		if code != ExitFailure || !strings.Contains(out.String(), `"type": "NoKeyFile"`) ||
			!strings.Contains(errOut.String(), "set CARDS_CODEC_KEYS") || !strings.Contains(errOut.String(), "CARDS_CODEC_KEYS=none") {
			t.Errorf("starter %s: exit %d\nstdout %s\nstderr %s", args[0], code, out.String(), errOut.String())
		}
	}
	for _, args := range [][]string{{"list"}, {"status", "--codec-keys", "none", "--request", "5b7e0a4e-8f0e-4a55-9d59-2a3f1f7e8c11"}} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append(unreachable, args...), &out, &errOut)
		if code != ExitFailure || strings.Contains(out.String(), "KeyFile") {
			t.Errorf("starter %v: exit %d, want 1 for the unreachable server, not a key file\nstdout %s\nstderr %s", args, code, out.String(), errOut.String())
		}
	}
}
