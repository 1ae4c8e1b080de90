package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/schema"
)

// benchPolicy has one card type per scenario.
const benchPolicy = `
useCases: {requestCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 1, timeout: 168h}
  visitor:
    approval: {required: false}
`

const (
	cardflowQueue = "bench-cards"
	baselineQueue = "bench-baseline"
)

// env is everything a run talks to, and how to take it down.
type env struct {
	client      client.Client
	db          *sqlx.DB
	databaseURL string
	metricsURL  string
	closers     []func()
}

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// setUp starts (or connects to) Temporal, creates a fresh database, and runs
// the cardflow worker and the baseline worker with the same options.
func setUp(ctx context.Context, cfg Config) (*env, error) {
	e := &env{}
	addr := cfg.TemporalAddress
	if addr == "" {
		cli := cfg.TemporalCLI
		if cli == "" {
			cli = filepath.Join("bin", "temporal")
		}
		if _, err := os.Stat(cli); err != nil {
			return nil, fmt.Errorf("no Temporal CLI at %s: run `make temporal-cli` or pass -temporal-address", cli)
		}
		srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:  cli,
			LogLevel:      "error",
			ClientOptions: &client.Options{Logger: logging.Discard},
			ExtraArgs: []string{"--search-attribute", "CardRequestState=Keyword", "--search-attribute", "CardUserId=Keyword",
				"--search-attribute", "CardType=Keyword"},
		})
		if err != nil {
			return nil, fmt.Errorf("start dev server: %w", err)
		}
		e.closers = append(e.closers, func() { _ = srv.Stop() })
		addr = srv.FrontendHostPort()
	}
	copts, err := temporalconn.Options(temporalconn.Settings{Address: addr, Namespace: "default", Logger: logging.Discard, Compression: cfg.Compression,
		EnvLookup: noEnv{}, CodecKeys: cfg.CodecKeys})
	if err != nil {
		e.close()
		return nil, err
	}
	c, err := client.Dial(copts)
	if err != nil {
		e.close()
		return nil, err
	}
	e.client = c
	e.closers = append(e.closers, c.Close)

	e.databaseURL = cfg.DatabaseURL
	if e.databaseURL == "" {
		if e.databaseURL, err = createDatabase(ctx, cfg.PostgresURL, e); err != nil {
			e.close()
			return nil, err
		}
	}
	if e.db, err = sqlx.Open("postgres", e.databaseURL); err != nil {
		e.close()
		return nil, err
	}
	e.closers = append(e.closers, func() { _ = e.db.Close() })
	if _, err := schema.Migrate(ctx, e.db.DB); err != nil {
		e.close()
		return nil, err
	}
	if err := seedActors(ctx, e.db); err != nil {
		e.close()
		return nil, err
	}

	policyPath := filepath.Join(os.TempDir(), fmt.Sprintf("cardflow-bench-policy-%d.yaml", os.Getpid()))
	if err := os.WriteFile(policyPath, []byte(benchPolicy), 0o600); err != nil {
		e.close()
		return nil, err
	}
	e.closers = append(e.closers, func() { _ = os.Remove(policyPath) })

	wopts := cfg.workerOptions()
	workerCtx, stopWorker := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- workerapp.Run(workerCtx, workerapp.Config{
			DatabaseURL: e.databaseURL, TaskQueue: cardflowQueue, PolicyPath: policyPath,
			Temporal: temporalconn.Settings{Address: addr, Namespace: "default", Compression: cfg.Compression, EnvLookup: noEnv{}, CodecKeys: cfg.CodecKeys},
			Logger:   zap.NewNop(), Pool: store.PoolOptions{MaxOpen: cfg.DBPool}, Worker: wopts,
			MetricsAddress: "127.0.0.1:0",
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
		e.close()
		return nil, fmt.Errorf("cardflow worker: %w", err)
	}
	e.closers = append(e.closers, func() { stopWorker(); <-done })

	// The baseline worker gets the same observability as cardflow's: a
	// client that reports SDK metrics through tally, plus the activity
	// interceptor, unless -baseline-metrics=false.
	bc := c
	if cfg.BaselineMetrics {
		m := metrics.New()
		bopts := copts
		bopts.MetricsHandler = m.TemporalHandler()
		if bc, err = client.NewClientFromExisting(c, bopts); err != nil {
			e.close()
			return nil, err
		}
		e.closers = append(e.closers, func() { bc.Close(); _ = m.Close() })
		wopts.Interceptors = append(wopts.Interceptors, m.Interceptor())
	}
	bw := worker.New(bc, baselineQueue, wopts)
	bw.RegisterWorkflowWithOptions(BaselineRequest, workflow.RegisterOptions{Name: baselineWorkflowName})
	bw.RegisterActivity(noop)
	if err := bw.Start(); err != nil {
		e.close()
		return nil, err
	}
	e.closers = append(e.closers, bw.Stop)
	return e, nil
}

func createDatabase(ctx context.Context, serverURL string, e *env) (string, error) {
	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		return "", err
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "cardflow_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", fmt.Errorf("create database on %s: %w", store.Redact(serverURL), err)
	}
	e.closers = append(e.closers, func() {
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(dropCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// noEnv keeps the caller's TEMPORAL_* variables out of a benchmark that runs
// its own server.
type noEnv struct{}

func (noEnv) Environ() []string { return []string{"TEMPORAL_CONFIG_FILE=/nonexistent"} }
func (noEnv) LookupEnv(k string) (string, bool) {
	if k == "TEMPORAL_CONFIG_FILE" {
		return "/nonexistent", true
	}
	return "", false
}

// seedActors puts the bench's requester and approver in the directory with
// the roles the policy's defaults require, since every request and decision
// is checked against it.
func seedActors(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state) VALUES
			('bench', 'Bench', 'Operator', 'bench@example.com', 'bench@example.com', 'active'),
			('bench-approver', 'Bench', 'Approver', 'bench-approver@example.com', 'bench-approver@example.com', 'active')
		ON CONFLICT (id) DO NOTHING;
		INSERT INTO user_roles (user_id, role) VALUES ('bench', 'operator'), ('bench-approver', 'approver')
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("seed the bench's operator and approver: %w", err)
	}
	return nil
}
