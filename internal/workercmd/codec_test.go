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

// Without a key file the worker and the codec server refuse to start and say
// to set CARDS_CODEC_KEYS; the codec server refuses none (it would have
// nothing to decrypt with), and so does a worker that must refuse plaintext.
func TestNoKeyFileStopsTheWorker(t *testing.T) {
	t.Chdir(t.TempDir()) // no .run/codec-keys here
	t.Setenv("CARDS_CODEC_KEYS", "")
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("useCases: {requestCard: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	worker := []string{"--policy", policy, "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "--metrics-address", ""}
	for _, c := range []struct {
		args []string
		want string
	}{
		{worker, "set CARDS_CODEC_KEYS=none to send names and UPNs to Temporal in clear"},
		{[]string{"codec-server", "--listen", "127.0.0.1:0"}, "no payload key file: set CARDS_CODEC_KEYS"},
		{[]string{"codec-server", "--codec-keys", "none", "--listen", "127.0.0.1:0"}, "CARDS_CODEC_KEYS=none gives it none"},
		{append([]string{"--codec-keys", "none", "--codec-require"}, worker...), "CARDS_CODEC_REQUIRE=true refuses unencrypted payloads, but CARDS_CODEC_KEYS=none"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), c.args, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("worker %v: exit %d, stderr %q; want exit 1 and %q", c.args, code, errOut.String(), c.want)
		}
	}
	// none runs in clear: the worker gets past the keys to PostgreSQL.
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"--codec-keys", "none"}, worker...), &out, &errOut)
	if code != 1 || strings.Contains(errOut.String(), "CARDS_CODEC_KEYS") || !strings.Contains(errOut.String(), "127.0.0.1:1") {
		t.Errorf("worker with none: exit %d, stderr %q; want it to reach the database", code, errOut.String())
	}
}
