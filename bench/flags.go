package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/scenarios"
	"github.com/cardflow/cardflow/bench/systems"
)

// waitingName is the scale scenario -waiting N runs.
const waitingName = "waiting"

// waitingScenario is the registered scale scenario -waiting runs.
func waitingScenario() engine.ScaleScenario {
	return engine.Find(scenarios.All, waitingName).(engine.ScaleScenario)
}

// cardScenarioNames are the registered card scenarios, which -scenarios
// picks from, in the registry's order.
func cardScenarioNames() []string {
	var names []string
	for _, s := range engine.CardScenarios(scenarios.All) {
		names = append(names, s.Name())
	}
	return names
}

// namedScaleNames are the scale scenarios -scenarios runs by name, alone.
func namedScaleNames() []string {
	var names []string
	for _, s := range scenarios.All {
		if _, ok := s.(engine.NamedScale); ok {
			names = append(names, s.Name())
		}
	}
	return names
}

// namedScale is the scale scenario -scenarios names, or nil when it names
// card scenarios.
func namedScale(cfg engine.Config) engine.NamedScale {
	if len(cfg.Scenarios) != 1 {
		return nil
	}
	s, _ := engine.Find(scenarios.All, cfg.Scenarios[0]).(engine.NamedScale)
	return s
}

// defaultScenarioNames are what a run without -scenarios drives: every
// card scenario but those that produce cards, which need a CA and run
// longer, and are asked for by name (make bench-issue).
func defaultScenarioNames() []string {
	var names []string
	for _, s := range engine.CardScenarios(scenarios.All) {
		if p, ok := s.(engine.ProductionScenario); ok && p.Produces() {
			continue
		}
		names = append(names, s.Name())
	}
	return names
}

// parseFlags reads the command line into a run's configuration; -help
// lists the flags, then the registered systems and scenarios.
func parseFlags(args []string) (engine.Config, error) {
	var cfg engine.Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&cfg.N, "n", 2000, "cards per scenario and system")
	fs.IntVar(&cfg.C, "c", 32, "concurrent requests")
	fs.IntVar(&cfg.Rounds, "rounds", 4, "split each scenario into this many rounds; each round runs a batch of every system (cardflow, baseline, minimal), in an order that rotates")
	fs.IntVar(&cfg.Warmup, "warmup", 100, "cards per system and scenario run before the measured rounds (verified, not measured)")
	cardScenarios := cardScenarioNames()
	scenarioList := fs.String("scenarios", strings.Join(defaultScenarioNames(), ","), "scenarios to run: "+strings.Join(cardScenarios, ", ")+
		"; or one scale scenario alone: "+strings.Join(namedScaleNames(), ", "))
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
	fs.StringVar(&cfg.CFSSL, "cfssl", "bin/cfssl", "CFSSL binary: the CA the bench starts when a scenario issues cards (issue)")
	fs.IntVar(&cfg.DBPool, "db-pool", 20, "cardflow worker's maximum PostgreSQL connections")
	fs.IntVar(&cfg.WorkflowPollers, "workflow-pollers", 8, "workflow task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.ActivityPollers, "activity-pollers", 8, "activity task pollers per worker (the worker command's default; 0: the SDK's)")
	fs.IntVar(&cfg.WorkflowTaskSlots, "workflow-slots", 0, "concurrent workflow task executions (0: SDK default)")
	fs.IntVar(&cfg.ActivitySlots, "activity-slots", 0, "concurrent activity executions (0: SDK default)")
	fs.IntVar(&cfg.LocalActivitySlots, "local-activity-slots", 0, "concurrent local activity executions (0: SDK default)")
	fs.IntVar(&cfg.StickyCache, "sticky-cache", 2000, "sticky workflow cache size, one cache for the whole process (default: the worker command's --workflow-cache; 0: the SDK's 10000)")
	fs.IntVar(&cfg.Waiting, "waiting", 0, "scale test: this many cardflow cards waiting for approval at once (worker memory), then approve them all")
	fs.IntVar(&cfg.ExpiryCards, "expiry-cards", 1_000_000, "with -scenarios expiry: cards written with nothing due")
	fs.IntVar(&cfg.ExpiryDue, "expiry-due", 10_000, "with -scenarios expiry: cards then added due, half reminded and half expired (one e-mail each)")
	fs.IntVar(&cfg.OrderUsers, "order-users", 10_000, "with -scenarios order-request: users in the order (and as many requested one by one)")
	fs.IntVar(&cfg.OrderCards, "order-cards", 2_000, "with -scenarios order-issue: approved cards in the order (and as many issued one by one)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (the workers run in it) to this file")
	fs.StringVar(&cfg.MemProfile, "memprofile", "", "with -waiting: write a heap profile taken with every card waiting to this file")
	fs.StringVar(&cfg.Out, "out", "", "write the JSON report to this file")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.CodecKeys == "none" {
		cfg.Encrypt, cfg.CodecKeys = false, ""
	}
	cfg.Scenarios = strings.Split(*scenarioList, ",")
	cfg.Progress = os.Stderr
	return cfg, validate(cfg)
}

// validate refuses a configuration the run cannot honour, naming the flag.
func validate(cfg engine.Config) error {
	if cfg.N <= 0 || cfg.C <= 0 || cfg.Rounds <= 0 {
		return fmt.Errorf("-n, -c and -rounds must be positive")
	}
	if cfg.N < cfg.Rounds {
		return fmt.Errorf("-n (%d) must be at least -rounds (%d)", cfg.N, cfg.Rounds)
	}
	known := append(cardScenarioNames(), namedScaleNames()...)
	for _, s := range cfg.Scenarios {
		if !slices.Contains(known, s) {
			return fmt.Errorf("unknown scenario %q (use %s)", s, strings.Join(known, ", "))
		}
		if slices.Contains(namedScaleNames(), s) && len(cfg.Scenarios) > 1 {
			return fmt.Errorf("scenario %s is a scale run: name it alone", s)
		}
	}
	if namedScale(cfg) != nil && cfg.Waiting > 0 {
		return fmt.Errorf("-waiting runs the waiting scale scenario: leave out -scenarios %s", cfg.Scenarios[0])
	}
	if cfg.ExpiryCards < 0 || cfg.ExpiryDue < 0 {
		return fmt.Errorf("-expiry-cards and -expiry-due cannot be negative")
	}
	if cfg.OrderUsers <= 0 || cfg.OrderCards <= 0 {
		return fmt.Errorf("-order-users and -order-cards must be positive")
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

// usage is -help: the flags, then what is registered, so that a new system
// or scenario shows up without touching the command.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of bench:\n")
	fs.PrintDefaults()
	var names []string
	for _, s := range systems.All.Systems {
		names = append(names, s.Name())
	}
	fmt.Fprintf(w, "\nSystems: %s (a card scenario runs on each; %s is compared with the others)\n",
		strings.Join(names, ", "), systems.All.Subject)
	fmt.Fprintf(w, "\nScenarios:\n")
	for _, s := range scenarios.All {
		fmt.Fprintf(w, "  %-14s %s\n", s.Name(), s.Description())
	}
}
