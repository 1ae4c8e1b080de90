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

var workerBinary once[string]

// WorkerBinary is the worker command built once for the test binary (and
// removed by Main), for tests that run it as a process: to kill it, or to
// check what it does with its environment.
func WorkerBinary(t testing.TB) string {
	t.Helper()
	Integration(t)
	return workerBinary.get(t, func() (string, func(), error) {
		dir, err := os.MkdirTemp("", "cardflow-worker-")
		if err != nil {
			return "", nil, err
		}
		bin := filepath.Join(dir, "worker")
		build := exec.Command("go", "build", "-o", bin, "./worker")
		build.Dir = Root()
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", nil, fmt.Errorf("build the worker: %v\n%s", err, out)
		}
		return bin, func() { _ = os.RemoveAll(dir) }, nil
	})
}
