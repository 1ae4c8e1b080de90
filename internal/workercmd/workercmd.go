// Package workercmd is the worker's command line: `worker` (run) and
// `worker migrate`. Flags fall back to the environment variables of the
// contract, and --help lists both with their defaults.
package workercmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/schema"
)

// Command is the worker's command line.
type Command struct {
	Run     RunCmd     `cmd:"" default:"withargs" help:"Run the worker until SIGINT or SIGTERM, then drain in-flight tasks (the default command)."`
	Migrate MigrateCmd `cmd:"" help:"Apply pending database migrations from schema/ (idempotent); --grant-to then gives the role of the worker, the starter and the console its privileges."`
	Grants  GrantsCmd  `cmd:"" help:"Print the SQL that grants a role the privileges the worker, the starter and the console need (what migrate --grant-to runs)."`
	Probe   ProbeCmd   `cmd:"" help:"Exit 0 if a running worker's probe answers 200 (for container health checks in images without curl)."`

	CodecServer CodecServerCmd `cmd:"" name:"codec-server" help:"Serve the Temporal codec endpoint (POST /encode, /decode) so that the Temporal UI and CLI show decrypted payloads."`
}

// ProbeCmd checks a running worker's /readyz (or /healthz).
type ProbeCmd struct {
	URL string `name:"url" default:"http://127.0.0.1:9464/readyz" help:"Probe URL of the running worker."`
}

// Run fetches the URL and fails unless it answers 200.
func (c *ProbeCmd) Run(rc *runContext) error {
	ctx, cancel := context.WithTimeout(rc.ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s: %s", c.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(rc.stdout, string(body))
	return nil
}

// RunCmd runs the worker.
type RunCmd struct {
	cliparse.Database
	cliparse.Temporal
	cliparse.PolicyFile
	cliparse.Codec
	cliparse.Logging
	DBMaxConns      int           `name:"db-max-conns" env:"CARDS_DB_MAX_CONNS" default:"20" help:"Maximum open PostgreSQL connections."`
	GRPCCompression string        `name:"grpc-compression" env:"CARDS_GRPC_COMPRESSION" enum:"gzip,none" default:"gzip" help:"Compression of requests to Temporal: gzip (the SDK's default; right for Temporal Cloud) or none (saves CPU on both ends next to the server)."`
	WorkflowPollers int           `name:"workflow-pollers" env:"CARDS_WORKFLOW_POLLERS" default:"8" help:"Workflow task pollers (docs/performance.md: 8 doubles throughput over the SDK's 2 at 32 concurrent requests)."`
	ActivityPollers int           `name:"activity-pollers" env:"CARDS_ACTIVITY_POLLERS" default:"8" help:"Activity task pollers."`
	WorkflowCache   int           `name:"workflow-cache" env:"CARDS_WORKFLOW_CACHE" default:"2000" help:"Workflow executions kept in memory between their tasks (the SDK's sticky cache; about 50 KB each, docs/performance.md). A waiting card that is not kept costs no memory and is replayed from its history when its decision comes."`
	SMTPURL         string        `name:"smtp-url" env:"CARDS_SMTP_URL" help:"SMTP server for e-mail notifications: smtp://[user:password@]host[:port][?tls=none|opportunistic|mandatory] (TLS mandatory unless said otherwise) or smtps://...; empty turns e-mail off."`
	MailFrom        string        `name:"mail-from" env:"CARDS_MAIL_FROM" help:"Sender of the notifications, for example \"cardflow <cards@example.com>\"; needed with --smtp-url."`
	MailTemplates   string        `name:"mail-templates" env:"CARDS_MAIL_TEMPLATES" help:"Directory whose requested.txt, requested.html, reminder.txt, reminder.html, decided.txt or decided.html replace the built-in e-mail templates."`
	MailDispatchers int           `name:"mail-dispatchers" env:"CARDS_MAIL_DISPATCHERS" default:"4" help:"Outbox dispatchers sending the queued e-mails side by side (each claims its own events)."`
	ConsoleURL      string        `name:"console-url" env:"CARDS_CONSOLE_URL" default:"http://127.0.0.1:8080" help:"The console's external base URL; e-mails link to <console-url>/cards/<id>."`
	MetricsAddress  string        `name:"metrics-address" env:"CARDS_METRICS_ADDRESS" default:":9464" help:"Address for /metrics (Prometheus), /healthz and /readyz; empty disables."`
	CodecRequire    bool          `name:"codec-require" env:"CARDS_CODEC_REQUIRE" help:"Refuse payloads that arrive unencrypted (a client without the key file): a decision update is refused, a decision signal ignored with the reason in the status. Every one is counted in cardflow_codec_plaintext_payloads_total either way."`
	SecretKeys      string        `name:"secret-keys" env:"CARDS_SECRET_KEYS" help:"Key file sealing PINs and PUKs at rest (AES-256-GCM; the CARDS_CODEC_KEYS format, keys of their own); needed with useCases.issueCard."`
	PINLetterDir    string        `name:"pin-letter-dir" env:"CARDS_PIN_LETTER_DIR" default:".run/pin-letters" help:"Where PIN letters are written (<dir>/<card id>/pin-letter.pdf), apart from the cards."`
	CAURL           string        `name:"ca-url" env:"CARDS_CA_URL" default:"http://127.0.0.1:8888" help:"The CA's API (CFSSL serve)."`
	CAOCSPURL       string        `name:"ca-ocsp-url" env:"CARDS_CA_OCSP_URL" default:"http://127.0.0.1:8889" help:"The CA's OCSP responder, the truth about a certificate's status."`
	CADir           string        `name:"ca-dir" env:"CARDS_CA_DIR" default:".run/ca" help:"Directory holding ca.pem, the issuing CA's certificate."`
	CADBURL         string        `name:"ca-db-url" env:"CARDS_CA_DB_URL" default:"postgres://postgres@127.0.0.1:5432/cards_ca?sslmode=disable" help:"The CA's certificate store (CFSSL has no call to release a hold)."`
	ExpirySchedule  string        `name:"expiry-schedule" env:"CARDS_EXPIRY_SCHEDULE" default:"0 2 * * *" help:"When the expiry sweep runs (Temporal Schedule card-expiry-sweep): a cron expression in UTC (minute hour day-of-month month day-of-week) or @daily; the worker creates or updates the Schedule at start."`
	RetryFor        time.Duration `name:"retry-for" env:"CARDS_RETRY_FOR" default:"1h" help:"How long a request or decision retries infrastructure errors (PostgreSQL or the network unreachable) before it ends with InfrastructureUnavailable; business rules still refuse at once. Recorded in each new request's history."`
}

// MigrateCmd applies migrations, as the role that owns the tables.
type MigrateCmd struct {
	cliparse.Database
	cliparse.Logging
	GrantTo string `name:"grant-to" env:"CARDS_DB_GRANT_TO" placeholder:"ROLE" help:"After migrating, grant this existing login role the privileges the worker, the starter and the console need, and no more (schema/grants.sql); run migrate as the tables' owner, and the worker, the starter and the console as ROLE."`
}

// GrantsCmd prints the grants for operators who review or apply SQL by hand.
type GrantsCmd struct {
	Role string `arg:"" name:"role" help:"The login role in DATABASE_URL of the worker, the starter and the console."`
}

// Run prints the grant statements for the role.
func (c *GrantsCmd) Run(rc *runContext) error {
	statements, err := schema.GrantsFor(c.Role)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(rc.stdout, statements)
	return err
}

type runContext struct {
	ctx    context.Context
	stdout io.Writer
}

// Run parses args and runs the command; it returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cmd Command
	kctx, code, done := cliparse.Parse("worker", &cmd, args, stdout, stderr,
		kong.Description("cardflow worker: runs the card workflows (RequestCard, IssueCard, ActivateCard, DeactivateCard, ReactivateCard, LockCard, ExpirySweep) and their activities."),
	)
	if done {
		return code
	}
	if err := kctx.Run(&runContext{ctx: ctx, stdout: stdout}); err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	return 0
}

// Run runs the worker.
func (c *RunCmd) Run(rc *runContext) error {
	if err := c.check(); err != nil {
		return err
	}
	log, err := c.Logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	// Process-wide in the SDK, so set here, before the worker starts, and
	// not in workerapp, which tests and the bench run several times in one
	// process.
	worker.SetStickyWorkflowCacheSize(c.WorkflowCache)
	return workerapp.Run(rc.ctx, workerapp.Config{
		DatabaseURL: c.DatabaseURL,
		TaskQueue:   c.TaskQueue,
		PolicyPath:  c.Policy,
		Temporal: temporalconn.Settings{Address: c.TemporalAddress, Namespace: c.TemporalNamespace, Compression: c.GRPCCompression,
			CodecKeys: c.CodecKeys},
		CodecRequire: c.CodecRequire,
		Logger:       log,
		Pool:         store.PoolOptions{MaxOpen: c.DBMaxConns},
		Worker: worker.Options{
			MaxConcurrentWorkflowTaskPollers: c.WorkflowPollers,
			MaxConcurrentActivityTaskPollers: c.ActivityPollers,
		},
		MetricsAddress: c.MetricsAddress,
		RetryFor:       c.RetryFor,
		Expiry:         workerapp.ExpirySchedule{Cron: c.ExpirySchedule},
		Mail:           notify.Config{SMTPURL: c.SMTPURL, From: c.MailFrom, TemplatesDir: c.MailTemplates, ConsoleURL: c.ConsoleURL},
		Dispatchers:    c.MailDispatchers,
		Production: workerapp.Production{
			SecretKeys: c.SecretKeys, PINLetterDir: c.PINLetterDir,
			CA: cfssl.Config{URL: c.CAURL, OCSPURL: c.CAOCSPURL, CADir: c.CADir, CertDBURL: c.CADBURL},
		},
	})
}

// Run applies the migrations and says what it did.
func (c *MigrateCmd) Run(rc *runContext) error {
	log, err := c.Logger()
	if err != nil {
		return err
	}
	st, err := store.Open(rc.ctx, c.DatabaseURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := schema.Migrate(rc.ctx, st.DB.DB)
	if err != nil {
		return err
	}
	current, _, err := schema.Versions(rc.ctx, st.DB.DB)
	if err != nil {
		return err
	}
	for _, a := range applied {
		log.Info("Applied migration", zap.Int64("version", a.Version), zap.String("file", a.Name))
	}
	if len(applied) == 0 {
		fmt.Fprintf(rc.stdout, "Database %s is up to date at schema version %d.\n", store.Redact(c.DatabaseURL), current)
	} else {
		fmt.Fprintf(rc.stdout, "Applied %d migration(s); database %s is at schema version %d.\n", len(applied), store.Redact(c.DatabaseURL), current)
	}
	if c.GrantTo == "" {
		return nil
	}
	if err := schema.Grant(rc.ctx, st.DB.DB, c.GrantTo); err != nil {
		return err
	}
	fmt.Fprintf(rc.stdout, "Granted role %s what the worker, the starter and the console need (`worker grants %s` shows the SQL).\n", c.GrantTo, c.GrantTo)
	return nil
}
