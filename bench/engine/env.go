package engine

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

	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/mailpit"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/schema"
)

// Env is everything a run talks to, and how to take it down. The systems
// start their workers on it (System.Start) and keep what is theirs.
type Env struct {
	Config Config
	// Client talks to Temporal with cardflow's payload codec (when
	// -encrypt); ClientOptions are its options, from which a system makes
	// a client of its own (another codec, a metrics handler).
	Client        client.Client
	ClientOptions client.Options
	// TemporalAddress is the server's frontend; KeyFile the payload key file
	// (codec.Plaintext without encryption).
	TemporalAddress string
	KeyFile         string
	DB              *sqlx.DB
	DatabaseURL     string
	// Mail is the Mailpit the subject mails through (nil with -mail=false).
	Mail *mailpit.Server
	// CA is the CFSSL the bench started for a scenario that produces
	// cards (nil otherwise), CAConfig where it is: the subject's worker and
	// print station certify, hold and release through it.
	CA       *cfssl.Authority
	CAConfig cfssl.Config
	// Setup is what the run has on, for the output's header.
	Setup Setup
	// startedServer: the bench started the dev server; otherwise
	// serverPID is the external server whose CPU is accounted (0: found by
	// name, see cpuProcesses).
	startedServer bool
	serverPID     int
	// runID tells this run's task queues from those of earlier runs.
	runID   string
	running map[string]Running
	closers []func()
}

// Queue is this run's task queue for a system: its prefix and the run's
// random suffix, so that each worker polls only its own tasks and what an
// earlier run left on a long-lived server (cards still waiting after an
// interrupted -waiting run) is never counted as this run's work.
func (e *Env) Queue(prefix string) string { return prefix + e.runID }

// Defer has f run when the run is taken down, after everything started
// later (in reverse order).
func (e *Env) Defer(f func()) { e.closers = append(e.closers, f) }

// Running is the started system of that name.
func (e *Env) Running(name string) Running { return e.running[name] }

// Close takes down everything the run started, in reverse.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// SetUp starts (or connects to) Temporal, creates a fresh database, starts
// Mailpit, and starts every system of the lineup (their workers with the
// same options). Everything it starts is stopped by Close, in reverse.
func SetUp(ctx context.Context, cfg Config, lineup Lineup) (e *Env, err error) {
	e = &Env{Config: cfg, serverPID: cfg.ServerPID, running: map[string]Running{}}
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	e.runID = hex.EncodeToString(run)
	defer func() {
		if err != nil {
			e.Close()
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
	e.Defer(removeKeys)
	e.KeyFile = keyFile
	e.Setup = Setup{DirectoryChecks: true, Encryption: cfg.Encrypt, KeyID: keyID, TemporaryKey: cfg.Encrypt && cfg.CodecKeys == "",
		Mail: cfg.Mail, StartMode: cfg.StartMode, StickyCache: cfg.StickyCache}

	if e.TemporalAddress, err = temporalServer(ctx, cfg, e); err != nil {
		return e, err
	}
	e.ClientOptions, err = temporalconn.Options(temporalconn.Settings{Address: e.TemporalAddress, Namespace: "default", Logger: logging.Discard,
		Compression: cfg.Compression, EnvLookup: NoEnv{}, CodecKeys: keyFile})
	if err != nil {
		return e, err
	}
	if e.Client, err = client.Dial(e.ClientOptions); err != nil {
		return e, err
	}
	e.Defer(e.Client.Close)

	if err := openDatabase(ctx, cfg, e); err != nil {
		return e, err
	}
	if cfg.Mail {
		var stop func()
		if e.Mail, stop, err = startMailpit(ctx, cfg.Mailpit); err != nil {
			return e, err
		}
		e.Defer(stop)
		e.Setup.SMTP = e.Mail.SMTPAddr
	}
	if cfg.Production {
		if err := startCA(ctx, cfg, e); err != nil {
			return e, err
		}
	}
	for _, sys := range lineup.Systems {
		r, err := sys.Start(ctx, e)
		if err != nil {
			return e, fmt.Errorf("%s: %w", sys.Name(), err)
		}
		e.running[sys.Name()] = r
		e.Setup.systems = append(e.Setup.systems, systemLine{name: sys.Name(), line: sys.Describe(e.Setup)})
	}
	_, found := e.cpuProcesses().snapshot()
	e.Setup.ServerProcesses = found[cpuGroups[1]]
	return e, nil
}

// setUpShown is SetUp with the header on the progress output, as every run
// begins, so that what was on is known before the first figure.
func setUpShown(ctx context.Context, cfg Config, lineup Lineup) (*Env, error) {
	e, err := SetUp(ctx, cfg, lineup)
	if err != nil {
		return nil, err
	}
	if cfg.Progress != nil {
		PrintSetup(cfg.Progress, e.Setup)
	}
	return e, nil
}

// temporalServer starts the dev server, unless -temporal-address names a
// server, and returns its address.
func temporalServer(ctx context.Context, cfg Config, e *Env) (string, error) {
	if cfg.TemporalAddress != "" {
		e.Setup.Temporal = cfg.TemporalAddress
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
	e.Defer(func() { _ = srv.Stop() })
	e.startedServer = true
	e.Setup.Temporal = "dev server " + cli + " (started by the bench)"
	return srv.FrontendHostPort(), nil
}

// openDatabase creates (or takes) the database, migrates it and puts the
// bench's operator and approver in the directory.
func openDatabase(ctx context.Context, cfg Config, e *Env) error {
	e.DatabaseURL = cfg.DatabaseURL
	if e.DatabaseURL == "" {
		var err error
		if e.DatabaseURL, err = createDatabase(ctx, cfg.PostgresURL, "cardflow_bench_", e); err != nil {
			return err
		}
	}
	db, err := sqlx.Open("postgres", e.DatabaseURL)
	if err != nil {
		return err
	}
	e.DB = db
	e.Defer(func() { _ = db.Close() })
	if _, err := schema.Migrate(ctx, db.DB); err != nil {
		return err
	}
	return seedActors(ctx, db)
}

// createDatabase creates a database named prefix and a random suffix on
// serverURL, dropped by Close, and returns its URL.
func createDatabase(ctx context.Context, serverURL, prefix string, e *Env) (string, error) {
	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		return "", err
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", fmt.Errorf("create database on %s: %w", store.Redact(serverURL), err)
	}
	e.Defer(func() {
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

// NoEnv keeps the caller's TEMPORAL_* variables out of a benchmark that runs
// its own server: every client and worker of the run is given it.
type NoEnv struct{}

// Environ is the environment the Temporal client sees.
func (NoEnv) Environ() []string { return []string{"TEMPORAL_CONFIG_FILE=/nonexistent"} }

// LookupEnv is the one variable the Temporal client finds.
func (NoEnv) LookupEnv(k string) (string, bool) {
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
		ON CONFLICT (id) DO NOTHING`, Operator, Approver)
	if err != nil {
		return fmt.Errorf("seed the bench's operator and approver: %w", err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, 'operator'), ($2, 'approver')
		ON CONFLICT DO NOTHING`, Operator, Approver)
	if err != nil {
		return fmt.Errorf("seed the bench's operator and approver: %w", err)
	}
	return nil
}
