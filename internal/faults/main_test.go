// Package faults injects real outages into a running cardflow and checks
// that nothing is refused, lost or written twice: PostgreSQL cut behind a
// TCP proxy (toxiproxy, in-process), the Temporal dev server stopped and
// started again on the same state file, and worker processes killed with
// SIGKILL. Every part is real: the worker binary as a subprocess, the
// Temporal CLI's dev server, PostgreSQL, and the starter's own code.
package faults

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops what the scenarios share: the dev server of those that do
// not restart it (testkit.DevServer) and the worker binary's build.
func TestMain(m *testing.M) { testkit.Main(m) }
