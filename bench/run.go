package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"
)

// Report is the outcome of a run, as JSON.
type Report struct {
	Config     Config    `json:"config"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Started    time.Time `json:"started"`
	// Setup is what cardflow ran with (encryption, e-mail, server).
	Setup     Setup     `json:"setup"`
	Summaries []Summary `json:"summaries"`
	// Ratios compare cardflow with the minimal baseline (the headline)
	// and with the continuity baseline.
	Ratios   []Ratio  `json:"ratios"`
	Database []DBCost `json:"database"`
	// CPU is CPU milliseconds per card by process group, for each system
	// and scenario: where the time goes.
	CPU []CPUCost `json:"cpu"`
	// Histories are one card's history per system and scenario: the
	// events, tasks and timers the server's CPU time follows.
	Histories []HistoryShape `json:"histories"`
	// SettleSeconds is, by "system scenario", the time from the batches'
	// last answers until their work was done (settle.go), included in the
	// wall time of the throughput.
	SettleSeconds map[string]float64 `json:"settleSeconds"`
	// Unsettled names a batch that did not settle (a verification failure).
	Unsettled string `json:"unsettled,omitempty"`
	// Mail is what cardflow's e-mails came to (nil with -mail=false).
	Mail *MailReport `json:"mail,omitempty"`
}

// CPUCost is the CPU time per card of one system in one scenario.
type CPUCost struct {
	System    string             `json:"system"`
	Scenario  string             `json:"scenario"`
	MsPerCard map[string]float64 `json:"msPerCard"`
}

// DBCost is what one card of a scenario cost PostgreSQL, counted by the worker.
type DBCost struct {
	Scenario            string  `json:"scenario"`
	StateChangesPerCard int     `json:"stateChangesPerCard"`
	WriteTransactions   float64 `json:"writeTransactionsPerCard"`
	Reads               float64 `json:"readsPerCard"`
	// IncludesMail: the counts include the e-mails' bookkeeping (the
	// notifications table), so they cannot tell whether each state change
	// was one transaction; OneTransactionPerChange is then nil.
	IncludesMail            bool  `json:"includesMail"`
	OneTransactionPerChange *bool `json:"oneTransactionPerStateChange,omitempty"`
}

// job is one card to drive.
type job struct {
	cardID string
	userID string
}

// op names, as they appear in the table.
func opName(system, scenario, step string) string { return system + " " + scenario + " " + step }

// Run sets everything up, drives each scenario in rounds (a batch of every
// system per round, in an order that rotates, so that drift and whatever
// one batch leaves behind hit all three alike), and verifies the cards in
// PostgreSQL.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	e, err := setUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if cfg.Progress != nil {
		printSetup(cfg.Progress, e.setup)
	}

	// Each scenario's cardflow cards: the warm-up's first, then the
	// measured ones; each card has its own user in the directory.
	jobs := map[string][]job{}
	for si, s := range cfg.Scenarios {
		for i := range cfg.Warmup + cfg.N {
			jobs[s] = append(jobs[s], job{cardID: uuid.NewString(), userID: fmt.Sprintf("bench-%d-%d", si, i)})
		}
	}
	if _, err := e.db.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT 'bench-' || s || '-' || i, 'Given' || i, 'Surname' || i, 'u' || i || '@example.com', '', 'active'
		FROM generate_series(0, $1 - 1) s, generate_series(0, $2 - 1) i`, len(cfg.Scenarios), cfg.Warmup+cfg.N); err != nil {
		return nil, fmt.Errorf("insert users: %w", err)
	}

	m := newMeasurements()
	report := &Report{Config: cfg, GOMAXPROCS: runtime.GOMAXPROCS(0), Started: time.Now(), Setup: e.setup}
	procs := e.cpuProcesses()
	if cfg.Warmup > 0 {
		warm := newMeasurements()
		for _, s := range cfg.Scenarios {
			for _, system := range systems {
				batch := jobs[s][:cfg.Warmup]
				if system != Cardflow {
					batch = anonymousJobs(cfg.Warmup)
				}
				if err := warm.batch(ctx, cfg, e, procs, system, s, batch, "warm-up "+s); err != nil {
					return report, err
				}
			}
		}
		// Failures count; figures do not.
		for name, smp := range warm.samples {
			m.samples["warm-up "+name] = smp
		}
		m.unsettled = warm.unsettled
	}
	for round := range cfg.Rounds {
		for _, s := range cfg.Scenarios {
			lo, hi := cfg.Warmup+round*cfg.N/cfg.Rounds, cfg.Warmup+(round+1)*cfg.N/cfg.Rounds
			label := fmt.Sprintf("round %d/%d %s", round+1, cfg.Rounds, s)
			for k := range systems {
				system := systems[(round+k)%len(systems)]
				batch := jobs[s][lo:hi]
				if system != Cardflow {
					batch = anonymousJobs(hi - lo)
				}
				if err := m.batch(ctx, cfg, e, procs, system, s, batch, label); err != nil {
					return report, err
				}
				if ctx.Err() != nil {
					return report, ctx.Err()
				}
			}
		}
	}
	m.fill(report, cfg)
	if report.Histories, err = m.histories(ctx, e, cfg.Scenarios); err != nil {
		return report, err
	}
	return report, verify(ctx, cfg, e, jobs, m.samples, report)
}

// anonymousJobs are cards for the baselines, which read no directory.
func anonymousJobs(n int) []job {
	out := make([]job, n)
	for i := range out {
		out[i] = job{cardID: uuid.NewString()}
	}
	return out
}
