package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/workerapp"
)

// startCardflow runs the real worker (internal/workerapp) in this process
// and waits until it polls.
func startCardflow(cfg Config, e *env, addr, keyFile string, mail notify.Config) error {
	policyPath := filepath.Join(os.TempDir(), fmt.Sprintf("cardflow-bench-policy-%d.yaml", os.Getpid()))
	if err := os.WriteFile(policyPath, []byte(benchPolicy), 0o600); err != nil {
		return err
	}
	e.closers = append(e.closers, func() { _ = os.Remove(policyPath) })
	workerCtx, stopWorker := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- workerapp.Run(workerCtx, workerapp.Config{
			DatabaseURL: e.databaseURL, TaskQueue: e.queues[Cardflow], PolicyPath: policyPath,
			Temporal: temporalconn.Settings{Address: addr, Namespace: "default", Compression: cfg.Compression, EnvLookup: noEnv{}, CodecKeys: keyFile},
			Logger:   zap.NewNop(), Pool: store.PoolOptions{MaxOpen: cfg.DBPool}, Worker: cfg.workerOptions(),
			MetricsAddress: "127.0.0.1:0", Mail: mail,
			OnReady: func(r workerapp.Ready) {
				e.metricsURL = "http://" + r.MetricsAddress + "/metrics"
				close(ready)
			},
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		stopWorker()
		return fmt.Errorf("cardflow worker: %w", err)
	}
	e.closers = append(e.closers, func() { stopWorker(); <-done })
	return nil
}

// startEngineWorker runs a baseline worker on queue with cardflow's worker
// options, over a client made from c with opts (its data converter decides
// the codec). Unless -baseline-metrics=false it gets cardflow's
// observability too: SDK metrics through tally and the activity
// interceptor, so that neither baseline is cheaper for lack of them. The
// client is returned for the load generator: a baseline's requests are
// encoded as its worker expects.
func startEngineWorker(cfg Config, e *env, c client.Client, opts client.Options, queue string, register func(worker.Worker)) (client.Client, error) {
	wopts := cfg.workerOptions()
	var closeMetrics func()
	if cfg.BaselineMetrics {
		m := metrics.New()
		opts.MetricsHandler = m.TemporalHandler()
		wopts.Interceptors = append(wopts.Interceptors, m.Interceptor())
		closeMetrics = func() { _ = m.Close() }
	}
	wc, err := client.NewClientFromExisting(c, opts)
	if err != nil {
		if closeMetrics != nil {
			closeMetrics()
		}
		return nil, err
	}
	e.closers = append(e.closers, func() {
		wc.Close()
		if closeMetrics != nil {
			closeMetrics()
		}
	})
	w := worker.New(wc, queue, wopts)
	register(w)
	if err := w.Start(); err != nil {
		return nil, err
	}
	e.closers = append(e.closers, w.Stop)
	return wc, nil
}
