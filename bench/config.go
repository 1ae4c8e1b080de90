package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"go.temporal.io/sdk/worker"
)

// Config is one benchmark run.
type Config struct {
	N      int
	C      int
	Rounds int
	// Warmup is how many cards of each system and scenario run before the
	// measured rounds, unmeasured (but verified), so that no system pays
	// for the first connections and caches.
	Warmup    int
	Scenarios []string
	// StartMode is how cardflow requests are sent: "update-with-start" (what
	// the starter does) or "start-then-query" (start, then poll the status
	// query until the card is persisted).
	StartMode string
	// BaselineLocalReads makes the baseline's three reads local activities,
	// as in RequestCard.
	BaselineLocalReads bool
	// BaselineMetrics gives the baseline worker cardflow's metrics setup
	// (SDK metrics through tally, activity interceptor).
	BaselineMetrics bool

	TemporalAddress string
	TemporalCLI     string
	// ServerPID is the process of a Temporal server the bench did not start
	// (-temporal-address), whose CPU the report accounts; 0 accounts every
	// process named temporal-server (scripts/temporal-server.sh's).
	ServerPID   int
	DatabaseURL string
	PostgresURL string

	// Compression of both workers' and the client's requests: gzip or none.
	Compression string
	// Encrypt encrypts every payload of the cardflow and baseline workers
	// and their client, as a deployment with private payloads does; the
	// minimal baseline never has a codec.
	Encrypt bool
	// CodecKeys is the key file to encrypt with; empty: the bench writes a
	// temporary one.
	CodecKeys string
	// Mail has the cardflow worker send its e-mails over SMTP to a real
	// Mailpit, started by the bench from the Mailpit binary, so that an
	// approval card pays for its e-mails as in production.
	Mail               bool
	Mailpit            string
	DBPool             int
	WorkflowPollers    int
	ActivityPollers    int
	WorkflowTaskSlots  int
	ActivitySlots      int
	LocalActivitySlots int

	// Waiting, when positive, runs the scale test instead: this many cards
	// waiting for approval at once, then all approved.
	Waiting int

	// StickyCache sizes the SDK's sticky workflow cache (0: the SDK's
	// default). It is one cache for the whole process, shared by the three
	// workers, which is why the bench sets it before any of them starts.
	StickyCache int

	// CPUProfile, when set, writes a pprof CPU profile of the bench process
	// (the cardflow worker runs in it) to this file.
	CPUProfile string
	// MemProfile, when set, writes a heap profile to this file in -waiting
	// mode, taken with every card waiting, after a garbage collection.
	MemProfile string

	Out      string
	Progress io.Writer `json:"-"`
}

// Scenario names.
const (
	NoApproval = "noapproval"
	Approval   = "approval"
)

func parseFlags(args []string) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&cfg.N, "n", 2000, "cards per scenario and system")
	fs.IntVar(&cfg.C, "c", 32, "concurrent requests")
	fs.IntVar(&cfg.Rounds, "rounds", 4, "split each scenario into this many rounds; each round runs a batch of every system (cardflow, baseline, minimal), in an order that rotates")
	fs.IntVar(&cfg.Warmup, "warmup", 100, "cards per system and scenario run before the measured rounds (verified, not measured)")
	scenarios := fs.String("scenarios", NoApproval+","+Approval, "scenarios to run: noapproval, approval")
	fs.StringVar(&cfg.StartMode, "start-mode", "update-with-start", "how cardflow requests are sent: update-with-start or start-then-query")
	fs.BoolVar(&cfg.BaselineLocalReads, "baseline-local-reads", true, "the (continuity) baseline runs its three reads as local activities, like RequestCard")
	fs.BoolVar(&cfg.BaselineMetrics, "baseline-metrics", true, "the baseline and minimal workers report SDK metrics like cardflow's (same worker settings)")
	fs.StringVar(&cfg.TemporalAddress, "temporal-address", "", "use this Temporal server (default: start a dev server from -temporal-cli)")
	fs.StringVar(&cfg.TemporalCLI, "temporal-cli", "bin/temporal", "Temporal CLI to start the dev server with")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "with -temporal-address: the server process whose CPU to account (default: every process named temporal-server)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "use this (migrated or empty) database (default: a fresh one on -postgres-url, dropped at the end)")
	fs.StringVar(&cfg.PostgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "server on which to create the fresh database")
	fs.StringVar(&cfg.Compression, "grpc-compression", "gzip", "compression of requests to Temporal for all workers and clients: gzip or none")
	fs.BoolVar(&cfg.Encrypt, "encrypt", true, "encrypt cardflow's (and the continuity baseline's) payloads; the minimal baseline never does")
	fs.StringVar(&cfg.CodecKeys, "codec-keys", os.Getenv("CARDS_CODEC_KEYS"), "payload key file (CARDS_CODEC_KEYS); empty: a temporary key; none: payloads in clear (= -encrypt=false)")
	fs.BoolVar(&cfg.Mail, "mail", true, "cardflow mails through a Mailpit the bench starts (approval cards send their e-mails); false: no e-mail")
	fs.StringVar(&cfg.Mailpit, "mailpit", "bin/mailpit", "Mailpit binary for -mail")
	fs.IntVar(&cfg.DBPool, "db-pool", 20, "cardflow worker's maximum PostgreSQL connections")
	fs.IntVar(&cfg.WorkflowPollers, "workflow-pollers", 8, "workflow task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.ActivityPollers, "activity-pollers", 8, "activity task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.WorkflowTaskSlots, "workflow-slots", 0, "concurrent workflow task executions (0: SDK default)")
	fs.IntVar(&cfg.ActivitySlots, "activity-slots", 0, "concurrent activity executions (0: SDK default)")
	fs.IntVar(&cfg.LocalActivitySlots, "local-activity-slots", 0, "concurrent local activity executions (0: SDK default)")
	fs.IntVar(&cfg.StickyCache, "sticky-cache", 2000, "sticky workflow cache size, one cache for the whole process (default: the worker command's --workflow-cache; 0: the SDK's 10000)")
	fs.IntVar(&cfg.Waiting, "waiting", 0, "scale test: this many cardflow cards waiting for approval at once (worker memory), then approve them all")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (the workers run in it) to this file")
	fs.StringVar(&cfg.MemProfile, "memprofile", "", "with -waiting: write a heap profile taken with every card waiting to this file")
	fs.StringVar(&cfg.Out, "out", "", "write the JSON report to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.CodecKeys == "none" {
		cfg.Encrypt, cfg.CodecKeys = false, ""
	}
	cfg.Scenarios = strings.Split(*scenarios, ",")
	cfg.Progress = os.Stderr
	return cfg, cfg.validate()
}

func (cfg Config) validate() error {
	if cfg.N <= 0 || cfg.C <= 0 || cfg.Rounds <= 0 {
		return fmt.Errorf("-n, -c and -rounds must be positive")
	}
	if cfg.N < cfg.Rounds {
		return fmt.Errorf("-n (%d) must be at least -rounds (%d)", cfg.N, cfg.Rounds)
	}
	for _, s := range cfg.Scenarios {
		if s != NoApproval && s != Approval {
			return fmt.Errorf("unknown scenario %q (use %s, %s)", s, NoApproval, Approval)
		}
	}
	if cfg.StartMode != "update-with-start" && cfg.StartMode != "start-then-query" {
		return fmt.Errorf("unknown -start-mode %q", cfg.StartMode)
	}
	if cfg.StickyCache < 0 || cfg.Waiting < 0 || cfg.Warmup < 0 {
		return fmt.Errorf("-sticky-cache, -waiting and -warmup cannot be negative")
	}
	if cfg.MemProfile != "" && cfg.Waiting == 0 {
		return fmt.Errorf("-memprofile needs -waiting: the heap profile is taken with the cards waiting")
	}
	return nil
}

// workerOptions are shared by the three workers, so that none has more
// pollers or slots than the others.
func (cfg Config) workerOptions() worker.Options {
	return worker.Options{
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        cfg.ActivityPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkflowTaskSlots,
		MaxConcurrentActivityExecutionSize:      cfg.ActivitySlots,
		MaxConcurrentLocalActivityExecutionSize: cfg.LocalActivitySlots,
	}
}
