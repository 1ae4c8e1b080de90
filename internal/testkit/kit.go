// Package testkit is what the integration suites build their worlds from:
// a fresh PostgreSQL database, the test binary's Temporal dev server, a
// Mailpit, a Dex, a worker (in-process or the real binary), and one way to
// wait for something (Eventually). Every helper that needs a server first
// calls Integration, so `go test -short` (make unit) skips those tests and
// needs nothing running, while `make test` (and CI) runs them all.
package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Integration skips the test under -short: it needs a server (PostgreSQL,
// the Temporal dev server, Mailpit, Dex or Chromium). The kit's helpers
// call it themselves; a test that needs a server the kit does not start
// calls it first.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs PostgreSQL and servers; skipped under -short (make unit), run by make test")
	}
}

// Root is the module's root directory, found from this file's location, so
// that tests find it whatever their working directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// howToBuild says how to get each tool that scripts/lib.sh builds into bin/.
var howToBuild = map[string]string{
	"temporal": "run `make temporal-cli` (or set TEMPORAL_CLI)",
	"mailpit":  "run `make test` (scripts/test.sh builds it with ensure_mailpit)",
	"dex":      "run `make test` (scripts/test.sh builds it with ensure_dex)",
	"cfssl":    "run `make test` (scripts/test.sh builds it with ensure_cfssl)",
}

// Bin is the path of a tool in bin/ (for the Temporal CLI, $TEMPORAL_CLI
// when set); it fails the test, saying how to build it, when it is missing.
func Bin(t testing.TB, name string) string {
	t.Helper()
	path, err := binPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func binPath(name string) (string, error) {
	path := filepath.Join(Root(), "bin", name)
	if name == "temporal" && os.Getenv("TEMPORAL_CLI") != "" {
		path = os.Getenv("TEMPORAL_CLI")
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no %s at %s: %s", name, path, howToBuild[name])
	}
	return path, nil
}
