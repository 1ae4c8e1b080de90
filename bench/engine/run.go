package engine

import (
	"context"
	"fmt"
	"runtime"
	"time"
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
	// Activities are the activities' wait and run times of the last cards
	// of each system, for the scenarios with operations (issue).
	Activities []ActivityTime `json:"activities,omitempty"`
	// SettleSeconds is, by "system scenario", the time from the batches'
	// last answers until their work was done (settle.go), included in the
	// wall time of the throughput.
	SettleSeconds map[string]float64 `json:"settleSeconds"`
	// Unsettled names a batch that did not settle (a verification failure).
	Unsettled string `json:"unsettled,omitempty"`
	// Mail is what cardflow's e-mails came to (nil with -mail=false).
	Mail *MailReport `json:"mail,omitempty"`
	// lineup names the systems and comparisons for PrintReport.
	lineup Lineup
}

// CPUCost is the CPU time per card of one system in one scenario.
type CPUCost struct {
	System    string             `json:"system"`
	Scenario  string             `json:"scenario"`
	MsPerCard map[string]float64 `json:"msPerCard"`
}

// DBCost is what one card of a scenario cost PostgreSQL, counted by the worker.
type DBCost struct {
	Scenario            string `json:"scenario"`
	StateChangesPerCard int    `json:"stateChangesPerCard"`
	// ApprovalWritesPerCard are the approval process's own writes per card
	// (ApprovalWriter): each vote, and for an operation the row opened and
	// closed; one transaction each.
	ApprovalWritesPerCard int     `json:"approvalWritesPerCard,omitempty"`
	WriteTransactions     float64 `json:"writeTransactionsPerCard"`
	Reads                 float64 `json:"readsPerCard"`
	// IncludesMail: the counts include the e-mails' bookkeeping (the
	// notifications table), so they cannot tell whether each state change
	// was one transaction; OneTransactionPerChange is then nil.
	IncludesMail bool `json:"includesMail"`
	// IncludesProduction: the scenario produces cards, which writes more
	// than the state changes (the number, the secrets, the certificates),
	// so OneTransactionPerChange is nil too.
	IncludesProduction bool `json:"includesProduction,omitempty"`
	// OneTransactionPerChange: the writes were one transaction per state
	// change plus the approval's writes, no more.
	OneTransactionPerChange *bool `json:"oneTransactionPerStateChange,omitempty"`
}

// opName names an operation as it appears in the table.
func opName(system, scenario, step string) string { return system + " " + scenario + " " + step }

// Run sets everything up, drives each scenario in rounds (a batch of every
// system per round, in an order that rotates, so that drift and whatever
// one batch leaves behind hit all systems alike), and verifies the
// subject's cards in PostgreSQL.
func Run(ctx context.Context, cfg Config, lineup Lineup, scenarios []CardScenario) (*Report, error) {
	cfg.Production = cfg.Production || needsProduction(scenarios)
	e, err := setUpShown(ctx, cfg, lineup)
	if err != nil {
		return nil, err
	}
	defer e.Close()

	// Each scenario's subject cards: the warm-up's first, then the
	// measured ones; each card has its own user in the directory.
	subjectCards := map[string][]Card{}
	for si, s := range scenarios {
		cards := NewCards(fmt.Sprintf("bench-%d-", si), cfg.Warmup+cfg.N)
		if err := s.Setup(ctx, e, cards); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		subjectCards[s.Name()] = cards
	}
	// A batch of the subject takes its cards; a yardstick's, fresh ones.
	batchOf := func(system string, s CardScenario, lo, hi int, label string) batch {
		b := batch{system: system, subject: system == lineup.Subject, scenario: s, label: label}
		if b.subject {
			b.cards = subjectCards[s.Name()][lo:hi]
		} else {
			b.cards = anonymousCards(hi - lo)
		}
		return b
	}

	m := newMeasurements()
	report := &Report{Config: cfg, GOMAXPROCS: runtime.GOMAXPROCS(0), Started: time.Now(), Setup: e.Setup, lineup: lineup}
	procs := e.cpuProcesses()
	systems := lineup.names()
	if cfg.Warmup > 0 {
		warm := newMeasurements()
		for _, s := range scenarios {
			for _, system := range systems {
				if err := warm.batch(ctx, cfg, e, procs, batchOf(system, s, 0, cfg.Warmup, "warm-up "+s.Name())); err != nil {
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
		for _, s := range scenarios {
			lo, hi := cfg.Warmup+round*cfg.N/cfg.Rounds, cfg.Warmup+(round+1)*cfg.N/cfg.Rounds
			label := fmt.Sprintf("round %d/%d %s", round+1, cfg.Rounds, s.Name())
			for k := range systems {
				system := systems[(round+k)%len(systems)]
				if err := m.batch(ctx, cfg, e, procs, batchOf(system, s, lo, hi, label)); err != nil {
					return report, err
				}
				if ctx.Err() != nil {
					return report, ctx.Err()
				}
			}
		}
	}
	m.fill(report, cfg, lineup, scenarios)
	if report.Histories, err = m.histories(ctx, e, lineup, scenarios); err != nil {
		return report, err
	}
	if report.Activities, err = m.activities(ctx, e, lineup, scenarios); err != nil {
		return report, err
	}
	return report, verify(ctx, cfg, e, scenarios, subjectCards, m.samples, report)
}
