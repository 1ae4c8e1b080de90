package testkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cardflow/cardflow/internal/workerapp"
)

// RunningWorker is a cardflow worker a test started in-process.
type RunningWorker struct {
	// MetricsURL is the base URL of its /metrics, /healthz and /readyz.
	MetricsURL string
	stop       func()
}

// Worker runs the cardflow worker in-process with cfg (workerapp.Run, what
// the worker command runs) until Stop or the end of the test, and returns
// once it polls. Without a MetricsAddress it takes a free port, so that
// workers of tests running side by side never share one.
func Worker(t testing.TB, cfg workerapp.Config) *RunningWorker {
	t.Helper()
	Integration(t)
	if cfg.MetricsAddress == "" {
		cfg.MetricsAddress = "127.0.0.1:0"
	}
	if cfg.Expiry.ID == "" {
		// Tests share the dev server: each worker keeps a Schedule of
		// its own, on its own task queue.
		cfg.Expiry.ID = "card-expiry-sweep-" + cfg.TaskQueue
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan workerapp.Ready, 1)
	done := make(chan error, 1)
	onReady := cfg.OnReady
	cfg.OnReady = func(r workerapp.Ready) {
		if onReady != nil {
			onReady(r)
		}
		ready <- r
	}
	go func() { done <- workerapp.Run(ctx, cfg) }()
	w := &RunningWorker{}
	select {
	case r := <-ready:
		w.MetricsURL = "http://" + r.MetricsAddress
	case err := <-done:
		cancel()
		t.Fatalf("worker did not start: %v", err)
	}
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker stopped with error: %v", err)
			}
		})
	}
	t.Cleanup(w.stop)
	return w
}

// Stop ends the worker (as SIGTERM would) and waits until it has.
func (w *RunningWorker) Stop() { w.stop() }

var workerBinary, stationBinary once[string]

// WorkerBinary is the worker command built once for the test binary (and
// removed by Main), for tests that run it as a process: to kill it, or to
// check what it does with its environment.
func WorkerBinary(t testing.TB) string {
	t.Helper()
	return buildProgram(t, &workerBinary, "worker")
}

// StationBinary builds the print station (./station) once per test binary,
// for tests that kill it the hard way.
func StationBinary(t testing.TB) string {
	t.Helper()
	return buildProgram(t, &stationBinary, "station")
}

// buildProgram builds ./<name> into a temporary folder once per test
// binary (removed by Main).
func buildProgram(t testing.TB, built *once[string], name string) string {
	t.Helper()
	Integration(t)
	return built.get(t, func() (string, func(), error) {
		dir, err := os.MkdirTemp("", "cardflow-"+name+"-")
		if err != nil {
			return "", nil, err
		}
		bin := filepath.Join(dir, name)
		build := exec.Command("go", "build", "-o", bin, "./"+name)
		build.Dir = Root()
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", nil, fmt.Errorf("build the %s: %v\n%s", name, err, out)
		}
		return bin, func() { _ = os.RemoveAll(dir) }, nil
	})
}
