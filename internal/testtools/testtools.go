// Package testtools finds what the integration tests run beside the code:
// the checkout's root and the tools scripts/lib.sh builds into bin/. The e2e
// and fault suites both need them, found the same way.
package testtools

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Root is the module's root directory, found from this file's location,
// so that tests find it whatever their working directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// TemporalCLI is the Temporal CLI the tests start dev servers with:
// $TEMPORAL_CLI, or bin/temporal. It says how to build it when it is missing.
func TemporalCLI() (string, error) {
	cli := os.Getenv("TEMPORAL_CLI")
	if cli == "" {
		cli = filepath.Join(Root(), "bin", "temporal")
	}
	if _, err := os.Stat(cli); err != nil {
		return "", fmt.Errorf("no Temporal CLI at %s: run `make temporal-cli` (or set TEMPORAL_CLI)", cli)
	}
	return cli, nil
}
