package startercmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/testkit"
)

// keyFile writes a valid key file for one test: every process needs one.
func keyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A namespace that does not exist is bad input, not an outage: the starter
// stops at once with exit 2 and the namespace's name, not after
// --temporal-wait.
func TestMissingNamespaceFailsAtOnceWithItsName(t *testing.T) {
	addr := testkit.DevServer(t)

	keys := keyFile(t)
	for _, args := range [][]string{
		{"request", "--user", "carol", "--operator", "olivia"},
		{"status", "--request", "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001"},
	} {
		var out, errOut bytes.Buffer
		start := time.Now()
		code := Run(context.Background(), append([]string{"--temporal-address", addr, "--temporal-namespace", "nope",
			"--temporal-wait", "30s", "--timeout", "30s", "--codec-keys", keys, "--json"}, args...), &out, &errOut)
		took := time.Since(start)
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want 2; stderr: %s", args[0], code, errOut.String())
			continue
		}
		if took > 3*time.Second {
			t.Errorf("%s: gave up after %s, want at once (not after --temporal-wait 30s)", args[0], took)
		}
		if strings.Contains(errOut.String(), "waiting:") {
			t.Errorf("%s: the starter waited for a namespace that will not appear:\n%s", args[0], errOut.String())
		}
		var doc errorDoc
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Errorf("%s: stdout is not the error document: %v\n%s", args[0], err, out.String())
			continue
		}
		want := `namespace "nope" does not exist on ` + addr + ": create it (temporal operator namespace create nope)"
		if doc.Error.Type != "NamespaceNotFound" || !strings.Contains(doc.Error.Message, want) {
			t.Errorf("%s: error document %+v, want type NamespaceNotFound and %q", args[0], doc.Error, want)
		}
	}
}

// An address without a port cannot work whatever the wait: exit 2 at once.
func TestAddressWithoutPortFailsAtOnce(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--temporal-address", "localhost", "--temporal-wait", "30s", "--codec-keys", keyFile(t),
		"status", "--request", "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001"}, &out, &errOut)
	if code != ExitUsage || !strings.Contains(errOut.String(), `starter: BadAddress: Temporal address "localhost" is not host:port`) {
		t.Fatalf("exit %d, stderr %q; want 2 and BadAddress naming the address", code, errOut.String())
	}
}
