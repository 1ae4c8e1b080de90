package workercmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A malformed key file stops the worker before it connects anywhere, with
// the file and line in the message.
func TestMalformedKeyFileStopsTheWorker(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("# keys\n\nk1 c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("useCases: {requestCard: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--codec-keys", keys, "--policy", policy, "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "--metrics-address", ""},
		{"codec-server", "--codec-keys", keys, "--listen", "127.0.0.1:0"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), keys+" (CARDS_CODEC_KEYS) line 3") || !strings.Contains(errOut.String(), "want 32") {
			t.Errorf("worker %s: exit %d, stderr %q; want exit 1 naming line 3", args[0], code, errOut.String())
		}
	}
}

func TestCodecServerRefusesBadOrigins(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"codec-server", "--codec-keys", keys, "--listen", "127.0.0.1:0", "--cors-origins", "localhost:8233"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "CARDS_CODEC_CORS_ORIGINS") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
