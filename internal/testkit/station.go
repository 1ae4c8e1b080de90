package testkit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cardflow/cardflow/internal/stationcmd"
)

// RunningStation is a print station a test runs in-process (stationcmd.Serve,
// what bin/station runs) until Stop or the end of the test.
type RunningStation struct {
	ID     string
	Output string
	stop   func()
}

// Station runs a print station with cfg until the test ends; it returns
// once the station polls its task queue. An empty cfg.Output is a folder of
// the test's.
func Station(t testing.TB, cfg stationcmd.Config) *RunningStation {
	t.Helper()
	Integration(t)
	if cfg.Output == "" {
		cfg.Output = filepath.Join(t.TempDir(), cfg.ID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	cfg.OnReady = func() { close(ready) }
	go func() { done <- stationcmd.Serve(ctx, cfg) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("station %s did not start: %v", cfg.ID, err)
	}
	var once sync.Once
	s := &RunningStation{ID: cfg.ID, Output: cfg.Output}
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && ctx.Err() == nil {
				t.Errorf("station %s stopped with error: %v", cfg.ID, err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// Stop stops the station (as SIGTERM would: the job in hand finishes).
func (s *RunningStation) Stop() { s.stop() }
