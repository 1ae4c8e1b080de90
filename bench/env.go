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

	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/mailpit"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
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

// Task queue prefixes: each system has its own queue, so that each worker
// polls only its own tasks, and each run its own (the prefix and a random
// suffix), so that what an earlier run left on a long-lived server (cards
// still waiting after an interrupted -waiting run) is never counted as this
// run's work.
var queuePrefixes = map[string]string{Cardflow: "bench-cards-", Baseline: "bench-baseline-", Minimal: "bench-minimal-"}

// env is everything a run talks to, and how to take it down.
type env struct {
	// client talks to cardflow's and the baseline's workflows, with
	// cardflow's payload codec; minimalClient has no codec.
	client        client.Client
	minimalClient client.Client
	db            *sqlx.DB
	databaseURL   string
	metricsURL    string
	// mail is the Mailpit cardflow mails through (nil with -mail=false).
	mail *mailpit.Server
	// startedServer: the bench started the dev server; otherwise
	// serverPID is the external server whose CPU is accounted (0: found by
	// name, see cpuProcesses).
	startedServer bool
	serverPID     int
	// queues are this run's task queues, by system.
	queues  map[string]string
	setup   Setup
	closers []func()
}

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// setUp starts (or connects to) Temporal, creates a fresh database, starts
// Mailpit, and runs the cardflow worker and the two baseline workers with
// the same options. Everything it starts is stopped by e.close, in reverse.
func setUp(ctx context.Context, cfg Config) (e *env, err error) {
	e = &env{serverPID: cfg.ServerPID, queues: map[string]string{}}
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	for system, prefix := range queuePrefixes {
		e.queues[system] = prefix + hex.EncodeToString(run)
	}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()
	if cfg.StickyCache > 0 {
		// One cache per process, sized before the first worker starts.
		worker.SetStickyWorkflowCacheSize(cfg.StickyCache)
	}
	keyFile, keyID, removeKeys, err := codecKeys(cfg)
	if err != nil {
		return e, err
	}
	e.closers = append(e.closers, removeKeys)
	e.setup = Setup{DirectoryChecks: true, Encryption: cfg.Encrypt, KeyID: keyID, TemporaryKey: cfg.Encrypt && cfg.CodecKeys == "",
		Mail: cfg.Mail, StartMode: cfg.StartMode, StickyCache: cfg.StickyCache}

	addr, err := temporalServer(ctx, cfg, e)
	if err != nil {
		return e, err
	}
	copts, err := temporalconn.Options(temporalconn.Settings{Address: addr, Namespace: "default", Logger: logging.Discard, Compression: cfg.Compression,
		EnvLookup: noEnv{}, CodecKeys: keyFile})
	if err != nil {
		return e, err
	}
	if e.client, err = client.Dial(copts); err != nil {
		return e, err
	}
	e.closers = append(e.closers, e.client.Close)

	if err := openDatabase(ctx, cfg, e); err != nil {
		return e, err
	}
	mail := notify.Config{}
	if cfg.Mail {
		var stop func()
		if e.mail, stop, err = startMailpit(ctx, cfg.Mailpit); err != nil {
			return e, err
		}
		e.closers = append(e.closers, stop)
		e.setup.SMTP = e.mail.SMTPAddr
		mail = notify.Config{SMTPURL: e.mail.SMTPURL(), From: "cardflow bench <cards@example.com>", ConsoleURL: "http://127.0.0.1:8080"}
	}
	if err := startCardflow(cfg, e, addr, keyFile, mail); err != nil {
		return e, err
	}
	// The baseline keeps cardflow's codec (as in the earlier figures); the
	// minimal baseline has none at all, not even the pass-through one.
	if _, err := startEngineWorker(cfg, e, e.client, copts, e.queues[Baseline], func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(BaselineRequest, workflow.RegisterOptions{Name: baselineWorkflowName})
		w.RegisterActivity(noop)
	}); err != nil {
		return e, err
	}
	mopts := copts
	mopts.DataConverter, mopts.FailureConverter = nil, nil
	e.minimalClient, err = startEngineWorker(cfg, e, e.client, mopts, e.queues[Minimal], func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(MinimalRequest, workflow.RegisterOptions{Name: minimalWorkflowName})
		w.RegisterActivity(minimalReads)
		w.RegisterActivity(minimalPersist)
		w.RegisterActivity(minimalTransition)
	})
	if err != nil {
		return e, err
	}
	_, found := e.cpuProcesses().snapshot()
	e.setup.ServerProcesses = found[cpuGroups[1]]
	return e, nil
}

// temporalServer starts the dev server, unless -temporal-address names a
// server, and returns its address.
func temporalServer(ctx context.Context, cfg Config, e *env) (string, error) {
	if cfg.TemporalAddress != "" {
		e.setup.Temporal = cfg.TemporalAddress
		return cfg.TemporalAddress, nil
	}
	cli := cfg.TemporalCLI
	if cli == "" {
		cli = filepath.Join("bin", "temporal")
	}
	if _, err := os.Stat(cli); err != nil {
		return "", fmt.Errorf("no Temporal CLI at %s: run `make temporal-cli` or pass -temporal-address", cli)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		LogLevel:      "error",
		ClientOptions: &client.Options{Logger: logging.Discard},
		ExtraArgs: []string{"--search-attribute", "CardRequestState=Keyword", "--search-attribute", "CardUserId=Keyword",
			"--search-attribute", "CardType=Keyword"},
	})
	if err != nil {
		return "", fmt.Errorf("start dev server: %w", err)
	}
	e.closers = append(e.closers, func() { _ = srv.Stop() })
	e.startedServer = true
	e.setup.Temporal = "dev server " + cli + " (started by the bench)"
	return srv.FrontendHostPort(), nil
}

// openDatabase creates (or takes) the database, migrates it and puts the
// bench's operator and approver in the directory.
func openDatabase(ctx context.Context, cfg Config, e *env) error {
	e.databaseURL = cfg.DatabaseURL
	if e.databaseURL == "" {
		var err error
		if e.databaseURL, err = createDatabase(ctx, cfg.PostgresURL, e); err != nil {
			return err
		}
	}
	db, err := sqlx.Open("postgres", e.databaseURL)
	if err != nil {
		return err
	}
	e.db = db
	e.closers = append(e.closers, func() { _ = db.Close() })
	if _, err := schema.Migrate(ctx, db.DB); err != nil {
		return err
	}
	return seedActors(ctx, db)
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
			($1, 'Bench', 'Operator', 'bench@example.com', 'bench@example.com', 'active'),
			($2, 'Bench', 'Approver', 'bench-approver@example.com', 'bench-approver@example.com', 'active')
		ON CONFLICT (id) DO NOTHING`, benchOperator, benchApprover)
	if err != nil {
		return fmt.Errorf("seed the bench's operator and approver: %w", err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, 'operator'), ($2, 'approver')
		ON CONFLICT DO NOTHING`, benchOperator, benchApprover)
	if err != nil {
		return fmt.Errorf("seed the bench's operator and approver: %w", err)
	}
	return nil
}
