// Package faults injects real outages into a running cardflow and checks
// that nothing is refused, lost or written twice: PostgreSQL cut behind a
// TCP proxy (toxiproxy, in-process), the Temporal dev server stopped and
// started again on the same state file, and worker processes killed with
// SIGKILL. Every part is real: the worker binary as a subprocess, the
// Temporal CLI's dev server, PostgreSQL, and the starter's own code.
package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/testtools"
)

var (
	// workerBin is the worker binary built for this run.
	workerBin string
	// temporalCLI runs the dev servers.
	temporalCLI string
	// shared is the dev server of the scenarios that do not restart it.
	shared *devServer
)

// repoRoot is the module root.
func repoRoot() string { return testtools.Root() }

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if temporalCLI, err = testtools.TemporalCLI(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "cardflow-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	workerBin = filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", workerBin, "./worker")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: build the worker: %v\n%s", err, out)
		return 1
	}
	shared, err = newDevServer(filepath.Join(dir, "shared.db"))
	if err == nil {
		err = shared.start(time.Minute)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults: start the Temporal dev server:", err)
		return 1
	}
	defer shared.stop(context.Background())
	return m.Run()
}
