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
