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
	N         int
	C         int
	Rounds    int
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
	DatabaseURL     string
	PostgresURL     string

	// Compression of both workers' and the client's requests: gzip or none.
	Compression string
	// CodecKeys, when set, encrypts every payload of both workers and the
	// client with this key file (what a deployment with private payloads pays).
	CodecKeys          string
	DBPool             int
	WorkflowPollers    int
	ActivityPollers    int
	WorkflowTaskSlots  int
	ActivitySlots      int
	LocalActivitySlots int

	// Waiting, when positive, runs the scale test instead: this many cards
	// waiting for approval at once, then all approved.
	Waiting int

	// CPUProfile, when set, writes a pprof CPU profile of the bench process
	// (the cardflow worker runs in it) to this file.
	CPUProfile string

	Out      string
	Progress io.Writer
}

// Scenario names.
const (
	NoApproval = "noapproval"
	Approval   = "approval"
)

func parseFlags(args []string) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&cfg.N, "n", 2000, "cards per scenario")
	fs.IntVar(&cfg.C, "c", 32, "concurrent requests")
	fs.IntVar(&cfg.Rounds, "rounds", 4, "alternate cardflow and baseline batches this many times per scenario")
	scenarios := fs.String("scenarios", NoApproval+","+Approval, "scenarios to run: noapproval, approval")
	fs.StringVar(&cfg.StartMode, "start-mode", "update-with-start", "how cardflow requests are sent: update-with-start or start-then-query")
	fs.BoolVar(&cfg.BaselineLocalReads, "baseline-local-reads", true, "the baseline runs its three reads as local activities, like RequestCard")
	fs.BoolVar(&cfg.BaselineMetrics, "baseline-metrics", true, "the baseline worker reports metrics like cardflow's (same worker settings)")
	fs.StringVar(&cfg.TemporalAddress, "temporal-address", "", "use this Temporal server (default: start a dev server from -temporal-cli)")
	fs.StringVar(&cfg.TemporalCLI, "temporal-cli", "bin/temporal", "Temporal CLI to start the dev server with")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "use this (migrated or empty) database (default: a fresh one on -postgres-url, dropped at the end)")
	fs.StringVar(&cfg.PostgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "server on which to create the fresh database")
	fs.StringVar(&cfg.Compression, "grpc-compression", "gzip", "compression of requests to Temporal for both workers and the client: gzip or none")
	fs.StringVar(&cfg.CodecKeys, "codec-keys", os.Getenv("CARDS_CODEC_KEYS"), "payload key file (CARDS_CODEC_KEYS) for both workers and the client; empty: payloads in clear")
	fs.IntVar(&cfg.DBPool, "db-pool", 20, "cardflow worker's maximum PostgreSQL connections")
	fs.IntVar(&cfg.WorkflowPollers, "workflow-pollers", 8, "workflow task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.ActivityPollers, "activity-pollers", 8, "activity task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.WorkflowTaskSlots, "workflow-slots", 0, "concurrent workflow task executions (0: SDK default)")
	fs.IntVar(&cfg.ActivitySlots, "activity-slots", 0, "concurrent activity executions (0: SDK default)")
	fs.IntVar(&cfg.LocalActivitySlots, "local-activity-slots", 0, "concurrent local activity executions (0: SDK default)")
	fs.IntVar(&cfg.Waiting, "waiting", 0, "scale test: this many cards waiting for approval at once (worker memory), then approve them all")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (the worker runs in it) to this file")
	fs.StringVar(&cfg.Out, "out", "", "write the JSON report to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
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
	return nil
}

// workerOptions are shared by the cardflow and baseline workers.
func (cfg Config) workerOptions() worker.Options {
	return worker.Options{
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        cfg.ActivityPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkflowTaskSlots,
		MaxConcurrentActivityExecutionSize:      cfg.ActivitySlots,
		MaxConcurrentLocalActivityExecutionSize: cfg.LocalActivitySlots,
	}
}
