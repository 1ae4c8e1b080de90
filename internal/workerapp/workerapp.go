// Package workerapp is the cardflow worker: it checks everything it depends on
// (policy, database privileges and schema, Temporal and its search attributes) before it
// polls, so that a misconfiguration stops it at start with a message that says
// what to change, and it drains in-flight tasks when told to stop.
package workerapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/schema"
	"github.com/cardflow/cardflow/workflows"
)

// Config is what the worker needs to run.
type Config struct {
	DatabaseURL string
	TaskQueue   string
	PolicyPath  string
	Temporal    temporalconn.Settings
	// Client, when set, is used instead of dialling (tests share one).
	Client client.Client
	Logger *zap.Logger
	// Pool sizes the database pool.
	Pool store.PoolOptions
	// Worker tunes pollers and slots; zero values keep the SDK defaults.
	Worker worker.Options
	// MetricsAddress is where /metrics, /healthz and /readyz are served
	// (":0" picks a free port); empty serves nothing.
	MetricsAddress string
	// RetryFor is how long requests started by this worker retry
	// infrastructure errors; zero keeps activities.DefaultRetryFor.
	RetryFor time.Duration
	// Mail configures e-mail notifications; without an SMTP URL and a
	// sender they are off.
	Mail notify.Config
	// Outbox tunes the dispatcher that sends the e-mails queued with card
	// writes (it runs when e-mail is on); zero values keep the defaults.
	// Its Log and Observe are the worker's.
	Outbox notify.DispatcherOptions
	// Dispatchers is how many outbox dispatchers the worker runs (zero
	// means DefaultDispatchers).
	Dispatchers int
	// OnReady is called once the worker polls; tests wait for it.
	OnReady func(Ready)
	// CodecRequire refuses payloads that arrive unencrypted
	// (CARDS_CODEC_REQUIRE): a plaintext decision update is refused and a
	// plaintext decision signal ignored, with the reason in the status.
	CodecRequire bool
	// Production is what Issue card needs (PIN and PUK keys, the CA, PIN
	// letters); checked at start when the policy enables issueCard.
	Production Production
	// Expiry is the expiry sweep's Schedule (CARDS_EXPIRY_SCHEDULE): the
	// worker creates or updates it at start.
	Expiry ExpirySchedule
	// AdjustActivities, when set, is called with the activities before
	// they are registered: tests plant a known PIN with it
	// (activities.PlantPIN) to prove it reaches no history, log or table.
	AdjustActivities func(*activities.Activities)
}

// Ready describes a running worker.
type Ready struct {
	// MetricsAddress is the bound host:port of the metrics server, if any.
	MetricsAddress string
}

// ErrNoUseCase is returned when the policy enables nothing.
var ErrNoUseCase = errors.New("the policy enables no use case: set useCases.requestCard: true or useCases.issueCard: true in the policy file (CARDS_POLICY)")

// Run starts the worker and blocks until ctx is done, then stops polling and
// waits for in-flight tasks to finish.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	pol, err := policy.Load(cfg.PolicyPath)
	if err != nil {
		return err
	}
	if len(pol.EnabledUseCases()) == 0 {
		return fmt.Errorf("policy file %s: %w", cfg.PolicyPath, ErrNoUseCase)
	}
	if err := cfg.Expiry.check(); err != nil {
		return err
	}

	// The connection settings (key file, TLS files) are checked before
	// anything is dialled, so that a broken file is named first.
	var opts client.Options
	// The PostgreSQL outage tracker: its state quiets the SDK's per-attempt
	// error lines during an outage it has reported.
	db := &outage.Tracker{Name: "PostgreSQL", Log: log}
	perms := &outage.Permissions{Log: log}
	// The key decision with the other connection settings: without a key
	// file (or CARDS_CODEC_KEYS=none) the worker does not start.
	cdc, keyFile, err := workerCodec(cfg)
	if err != nil {
		return err
	}
	if cfg.Client == nil {
		cfg.Temporal.Codec = cdc
		if cfg.Temporal.Logger == nil {
			cfg.Temporal.Logger = logging.NewTemporalLogger(log).WithDemoter(quietDuringOutage(db, perms))
		}
		if opts, err = temporalconn.Options(cfg.Temporal); err != nil {
			return err
		}
	}

	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.Pool)
	if err != nil {
		return err
	}
	defer st.Close()
	// The privileges first: without SELECT on the schema version even the
	// schema check would fail, and this names everything missing at once.
	if err := schema.CheckPrivileges(ctx, st.DB.DB); err != nil {
		return err
	}
	if err := schema.CheckCurrent(ctx, st.DB.DB); err != nil {
		return err
	}

	m := metrics.New()
	defer m.Close()
	m.ObserveStore(st.Counts)
	if cdc != nil {
		m.ObserveCodec(cdc.PlaintextPayloads)
	}
	db.Ping, db.Address = st.DB.PingContext, databaseAddress(cfg.DatabaseURL)
	watchPermissions(perms, st, m, currentRole(ctx, st))
	watchDatabase(db, perms, m)
	defer db.Close()
	defer perms.Close()
	// E-mail settings are checked before Temporal is dialled: a typo stops
	// the worker at once, not after a connection.
	var notifier *notify.Service
	if cfg.Mail.Enabled() {
		if notifier, err = notify.New(cfg.Mail, st, m); err != nil {
			return err
		}
		log.Info("E-mail notifications on", zap.String("via", notifier.Describe()))
	} else {
		log.Info("E-mail notifications are off: set CARDS_SMTP_URL and CARDS_MAIL_FROM to tell approvers and requesters by e-mail")
	}
	c := cfg.Client
	if c == nil {
		opts.MetricsHandler = m.TemporalHandler()
		c, err = temporalconn.Dial(ctx, opts, 10*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		missing, err := temporalconn.MissingSearchAttributes(ctx, c, opts.Namespace, workflows.SearchAttributeNames)
		if err != nil {
			log.Warn("Could not list search attributes; skipping the check", zap.Error(err))
		} else if len(missing) > 0 {
			return fmt.Errorf("namespace %s lacks the Keyword search attributes %s: register them with `temporal operator search-attribute create --namespace %s %s` (or start the dev server with --search-attribute NAME=Keyword)",
				opts.Namespace, strings.Join(missing, ", "), opts.Namespace, createFlags(missing))
		}
	}

	taskQueue := cfg.TaskQueue
	if taskQueue == "" {
		taskQueue = workflows.DefaultTaskQueue
	}
	wopts := cfg.Worker
	wopts.Interceptors = append(wopts.Interceptors, m.Interceptor())
	w := worker.New(c, taskQueue, wopts)
	acts := activities.New(st, pol)
	acts.Metrics = m
	acts.RetryFor = cfg.RetryFor
	acts.RequireEncryption = cfg.CodecRequire
	acts.Requester = newOrderRequester(c, taskQueue)
	closeProduction, err := setUpProduction(cfg.Production, pol, cfg.Mail.Enabled(), acts, log)
	if err != nil {
		return err
	}
	defer closeProduction()
	if cfg.AdjustActivities != nil {
		cfg.AdjustActivities(acts)
	}
	if notifier != nil {
		acts.Notifier = notifier
		dispatcher := startDispatcher(notifier, cfg.Outbox, cfg.Dispatchers, log, observeBoth(db, perms))
		defer dispatcher.stop()
		acts.OnQueued = dispatcher.Poke
	}
	workflows.Register(w, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", taskQueue, err)
	}
	// After the start: a sweep the Schedule fires at once finds a worker.
	if err := EnsureExpirySchedule(ctx, c, cfg.Expiry, taskQueue, log); err != nil {
		w.Stop()
		return err
	}
	var ready Ready
	if cfg.MetricsAddress != "" {
		srv, err := metrics.Listen(cfg.MetricsAddress, m, readiness(st, db, perms))
		if err != nil {
			w.Stop()
			return fmt.Errorf("metrics server on %s: %w (set CARDS_METRICS_ADDRESS)", cfg.MetricsAddress, err)
		}
		defer srv.Close()
		ready.MetricsAddress = srv.Addr
		log.Info("Serving metrics and probes", zap.String("address", srv.Addr), zap.Strings("paths", []string{"/metrics", "/healthz", "/readyz"}))
	}
	log.Info("Worker polling", zap.String("taskQueue", taskQueue), zap.String("policy", cfg.PolicyPath),
		zap.Strings("useCases", pol.EnabledUseCases()), zap.Strings("cardTypes", pol.CardTypeNames()))
	if cdc != nil {
		if cdc.Encrypts() {
			log.Info("Payloads encrypted", zap.String("keyFile", keyFile), zap.Bool("plaintextRefused", cdc.RequiresEncryption()))
		} else {
			log.Warn("Payloads are NOT encrypted (CARDS_CODEC_KEYS=none): names and comments are stored in clear in Temporal; set CARDS_CODEC_KEYS to a key file")
		}
	}
	// In the background: the check is advice and must not delay polling.
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		WarnRetiredVersions(ctx, c, log, retiredCheckTimeout)
	}()
	defer func() { <-checked }()
	if cfg.OnReady != nil {
		cfg.OnReady(ready)
	}
	<-ctx.Done()
	log.Info("Stopping: draining in-flight tasks")
	w.Stop()
	log.Info("Worker stopped")
	return nil
}

func createFlags(names []string) string {
	flags := make([]string, 0, len(names))
	for _, n := range names {
		flags = append(flags, "--name "+n+" --type Keyword")
	}
	return strings.Join(flags, " ")
}
