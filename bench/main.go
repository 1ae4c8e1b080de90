// Command bench measures cardflow's throughput and latency side by side with
// the engine's own ceiling: a baseline workflow of the same shape whose
// activities do nothing, run in the same process against the same server,
// interleaved with cardflow's batches so that both see the same machine. It
// prints a table, writes JSON, and checks in PostgreSQL that every card
// reached the expected state exactly once (exit 1 otherwise).
//
//	go run ./bench -n 2000 -c 32 -out bench.json
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
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if cfg.Waiting > 0 {
		w, err := runWaiting(ctx, cfg, cfg.Waiting)
		stop()
		if w != nil {
			data, _ := json.MarshalIndent(w, "", "  ")
			fmt.Println(string(data))
			if cfg.Out != "" {
				_ = os.WriteFile(cfg.Out, data, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	report, err := Run(ctx, cfg)
	stop()
	if report != nil {
		printTable(os.Stdout, report.Summaries, report.Ratios)
		fmt.Printf("\n%-24s %24s %17s %12s\n", "CPU ms per card", cpuGroups[0], cpuGroups[1], cpuGroups[2])
		for _, c := range report.CPU {
			fmt.Printf("%-24s %24.2f %17.2f %12.2f\n", c.System+" "+c.Scenario, c.MsPerCard[cpuGroups[0]], c.MsPerCard[cpuGroups[1]], c.MsPerCard[cpuGroups[2]])
		}
		fmt.Printf("\n%-12s %14s %20s %14s\n", "PostgreSQL", "state changes", "write transactions", "reads")
		for _, c := range report.Database {
			fmt.Printf("%-12s %14d %20.2f %14.2f   (per card)\n", c.Scenario, c.StateChangesPerCard, c.WriteTransactions, c.Reads)
		}
		if cfg.Out != "" {
			data, _ := json.MarshalIndent(report, "", "  ")
			if werr := os.WriteFile(cfg.Out, data, 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Println("verification: every card reached its expected state exactly once")
}
