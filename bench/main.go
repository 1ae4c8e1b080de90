// Command bench measures cardflow's throughput and latency against two
// yardsticks run in the same process, against the same server, in the same
// run:
//
//   - minimal (systems/minimal_workflow.go), the fixed yardstick: the card's
//     job as a Temporal expert would write it with nothing inside
//     (update-with-start, one local activity for the reads, one activity per
//     state change, an update for the decision; no search attributes, no
//     timer, no codec). cardflow / minimal is the headline: the targets are
//     at least 0.9 of its throughput and at most 1.5 times its p99;
//   - baseline (systems/baseline_workflow.go), RequestCard's shape with
//     empty activities and cardflow's codec, kept for continuity with
//     earlier figures.
//
// cardflow runs with everything on by default: directory checks (always),
// payload encryption (a temporary key unless -codec-keys; -encrypt=false or
// -codec-keys none turns it off) and e-mail through a Mailpit the bench
// starts (-mail=false turns it off). Each scenario runs a warm-up, then
// rounds of one batch per system in an order that rotates, so that drift
// hits all three alike. The output says what was on, then gives latency and
// throughput per system, both ratio tables, CPU milliseconds per card by
// process (bench, Temporal server, PostgreSQL, Mailpit) and PostgreSQL work
// per card; it writes JSON (-out) and checks in PostgreSQL that every card
// reached its expected state exactly once and sent its e-mails once (exit 1
// otherwise).
//
//	go run ./bench -n 2000 -c 32 -out bench.json
//	go run ./bench -temporal-address 127.0.0.1:7333   # scripts/temporal-server.sh's server
//	go run ./bench -waiting 10000 -memprofile heap.prof [-sticky-cache N]
//
// -scenarios issue (make bench-issue) is Issue card: a request without
// approval, Issue card at a real print station (the card rendered, its
// files written, two certificates from a CFSSL CA the bench starts, put on
// hold and checked by OCSP) and Activate card, against minimal workflows
// doing the same Temporal steps with empty activities
// (systems/minimal_issue_workflow.go). A plain run leaves it out.
//
// -scenarios expiry (make bench-expiry) is the expiry sweep at scale: one
// sweep over 1,000,000 cards with nothing due (-expiry-cards), then one
// with 10,000 due (-expiry-due, half reminded, half expired), each the
// ExpirySweep workflow on cardflow's worker, and the wait until Mailpit
// holds every e-mail; the targets (1 s, 60 s) are printed beside them.
//
// -waiting N is the scale run: N cardflow cards waiting for approval at
// once (resident memory, Go heap, goroutines and a heap profile with all of
// them waiting), then all approved (time and approvals per second).
//
// -scenarios order-request (make bench-order-request) is Request multiple
// cards at scale: one order of -order-users users (default 10,000) through the Order
// workflow against as many users requested one by one at the order's
// window, in the same run; -scenarios order-issue (make bench-order-issue) is
// Issue multiple cards: an order of -order-cards approved cards (default 2,000) at a
// real print station against as many issued one by one. Each reports
// throughput and its ratio, p99 per item, the worker's RSS peak, history
// events per Order run and the time until the order shows progress.
//
// This package is only the command: flags, the choice of scenario, the
// exit code. The machinery is bench/engine; the systems and the scenarios
// are one file each in bench/systems and bench/scenarios, registered in
// systems.All and scenarios.All (-help lists them).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/scenarios"
	"github.com/cardflow/cardflow/bench/systems"
)

func main() { os.Exit(run()) }

// run is main with an exit code, so that deferred work (the CPU profile)
// is finished before the process exits: 0 verified, 1 run or verification
// failed, 2 bad flags.
func run() int {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Waiting > 0 {
		return runScale(ctx, cfg, waitingScenario(), cfg.Waiting)
	}
	if s := namedScale(cfg); s != nil {
		return runScale(ctx, cfg, s, s.Size(cfg))
	}
	return runCards(ctx, cfg)
}

// runCards runs the card scenarios of -scenarios on every system, prints
// the report and writes it.
func runCards(ctx context.Context, cfg engine.Config) int {
	var picked []engine.CardScenario
	for _, name := range cfg.Scenarios {
		picked = append(picked, engine.Find(scenarios.All, name).(engine.CardScenario))
	}
	report, err := engine.Run(ctx, cfg, systems.All, picked)
	if report != nil {
		engine.PrintReport(os.Stdout, report)
		writeJSON(cfg.Out, report)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Println("verification: every card reached its expected state exactly once" + mailVerified(cfg))
	return 0
}

// runScale runs a scale scenario with n cards, prints its report and
// writes it.
func runScale(ctx context.Context, cfg engine.Config, scenario engine.ScaleScenario, n int) int {
	report, err := engine.RunScale(ctx, cfg, systems.All, scenario, n)
	if report != nil {
		report.Print(os.Stdout)
		writeJSON(cfg.Out, report)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Println(report.Verified())
	return 0
}

// mailVerified is the end of the closing line: what was checked of the
// e-mails, when there were any.
func mailVerified(cfg engine.Config) string {
	if !cfg.Mail {
		return ""
	}
	return "; every e-mail sent once"
}

// writeJSON writes the report to path, if one was given.
func writeJSON(path string, v any) {
	if path == "" {
		return
	}
	data, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
}
