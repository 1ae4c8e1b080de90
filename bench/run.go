package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// Report is the outcome of a run, as JSON.
type Report struct {
	Config     Config    `json:"config"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Started    time.Time `json:"started"`
	Summaries  []Summary `json:"summaries"`
	Ratios     []Ratio   `json:"ratios"`
	Database   []DBCost  `json:"database"`
	// CPU is CPU milliseconds per card by process group, for each system
	// and scenario: where the time goes.
	CPU []CPUCost `json:"cpu"`
}

// CPUCost is the CPU time per card of one system in one scenario.
type CPUCost struct {
	System    string             `json:"system"`
	Scenario  string             `json:"scenario"`
	MsPerCard map[string]float64 `json:"msPerCard"`
}

// DBCost is what one card of a scenario cost PostgreSQL, counted by the worker.
type DBCost struct {
	Scenario                string  `json:"scenario"`
	StateChangesPerCard     int     `json:"stateChangesPerCard"`
	WriteTransactions       float64 `json:"writeTransactionsPerCard"`
	Reads                   float64 `json:"readsPerCard"`
	OneTransactionPerChange bool    `json:"oneTransactionPerStateChange"`
}

// job is one card to drive.
type job struct {
	cardID string
	userID string
}

// op names, as they appear in the table.
func opName(system, scenario, step string) string { return system + " " + scenario + " " + step }

// Run sets everything up, drives the scenarios with interleaved baseline
// batches, and verifies the cards in PostgreSQL.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	e, err := setUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()

	jobs := map[string][]job{}
	for si, s := range cfg.Scenarios {
		for i := range cfg.N {
			jobs[s] = append(jobs[s], job{cardID: uuid.NewString(), userID: fmt.Sprintf("bench-%d-%d", si, i)})
		}
	}
	if _, err := e.db.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT 'bench-' || s || '-' || i, 'Given' || i, 'Surname' || i, 'u' || i || '@example.com', '', 'active'
		FROM generate_series(0, $1 - 1) s, generate_series(0, $2 - 1) i`, len(cfg.Scenarios), cfg.N); err != nil {
		return nil, fmt.Errorf("insert users: %w", err)
	}

	samples := map[string]*Sample{}
	sample := func(name string) *Sample {
		if samples[name] == nil {
			samples[name] = &Sample{Name: name}
		}
		return samples[name]
	}
	dbWrites, dbReads := map[string]float64{}, map[string]float64{}
	cpu := map[string]map[string]float64{}
	for _, s := range cfg.Scenarios {
		cpu["cardflow "+s], cpu["baseline "+s] = map[string]float64{}, map[string]float64{}
	}
	report := &Report{Config: cfg, GOMAXPROCS: runtime.GOMAXPROCS(0), Started: time.Now()}
	for round := range cfg.Rounds {
		for _, s := range cfg.Scenarios {
			lo, hi := round*cfg.N/cfg.Rounds, (round+1)*cfg.N/cfg.Rounds
			label := fmt.Sprintf("round %d/%d %s", round+1, cfg.Rounds, s)
			w0, r0, err := dbCounts(ctx, e)
			if err != nil {
				return report, err
			}
			c0 := cpuSnapshot()
			cf := drive(ctx, cfg, e, "cardflow", s, jobs[s][lo:hi], label)
			c1 := cpuSnapshot()
			w1, r1, err := dbCounts(ctx, e)
			if err != nil {
				return report, err
			}
			dbWrites[s] += w1 - w0
			dbReads[s] += r1 - r0
			bl := drive(ctx, cfg, e, "baseline", s, baselineJobs(hi-lo), label)
			c2 := cpuSnapshot()
			for _, g := range cpuGroups {
				cpu["cardflow "+s][g] += c1[g] - c0[g]
				cpu["baseline "+s][g] += c2[g] - c1[g]
			}
			for _, batch := range [][]*Sample{cf, bl} {
				for _, smp := range batch {
					sample(smp.Name).add(smp)
				}
			}
			if ctx.Err() != nil {
				return report, ctx.Err()
			}
		}
	}
	for _, s := range cfg.Scenarios {
		for _, system := range []string{"cardflow", "baseline"} {
			ms := map[string]float64{}
			for g, sec := range cpu[system+" "+s] {
				ms[g] = sec * 1000 / float64(cfg.N)
			}
			report.CPU = append(report.CPU, CPUCost{System: system, Scenario: s, MsPerCard: ms})
		}
	}
	for _, s := range cfg.Scenarios {
		changes := 1
		if s == Approval {
			changes = 2
		}
		cost := DBCost{Scenario: s, StateChangesPerCard: changes,
			WriteTransactions: dbWrites[s] / float64(cfg.N), Reads: dbReads[s] / float64(cfg.N)}
		cost.OneTransactionPerChange = cost.WriteTransactions == float64(changes)
		report.Database = append(report.Database, cost)
	}
	for _, s := range cfg.Scenarios {
		steps := []string{"request"}
		if s == Approval {
			steps = append(steps, "approve")
		}
		for _, step := range steps {
			c, b := sample(opName("cardflow", s, step)), sample(opName("baseline", s, step))
			report.Summaries = append(report.Summaries, c.summary(), b.summary())
		}
		c, b := sample(opName("cardflow", s, "card")).summary(), sample(opName("baseline", s, "card")).summary()
		report.Summaries = append(report.Summaries, c, b)
		ratio := Ratio{Scenario: s}
		if b.Throughput > 0 {
			ratio.Throughput = c.Throughput / b.Throughput
		}
		if b.P99ms > 0 {
			ratio.P99 = c.P99ms / b.P99ms
		}
		report.Ratios = append(report.Ratios, ratio)
	}
	return report, verify(ctx, e, jobs, samples)
}

func baselineJobs(n int) []job {
	out := make([]job, n)
	for i := range out {
		out[i] = job{cardID: uuid.NewString()}
	}
	return out
}

// drive runs one batch at concurrency C and returns its samples: one per
// step, and "card" for the whole cycle (its wall time gives throughput).
func drive(ctx context.Context, cfg Config, e *env, system, scenario string, batch []job, label string) []*Sample {
	request := &Sample{Name: opName(system, scenario, "request")}
	approve := &Sample{Name: opName(system, scenario, "approve")}
	card := &Sample{Name: opName(system, scenario, "card")}
	var mu sync.Mutex
	var done atomic.Int64
	stopProgress := progress(cfg, fmt.Sprintf("%s %s", label, system), len(batch), &done)
	wall := forEach(ctx, cfg.C, batch, &done, func(j job) {
		t0 := time.Now()
		reqErr := requestCard(ctx, cfg, e.client, system, scenario, j)
		t1 := time.Now()
		var apprErr error
		if scenario == Approval && reqErr == nil {
			apprErr = approveCard(ctx, e.client, system, j)
		}
		t2 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		record(request, t1.Sub(t0), reqErr)
		if scenario == Approval {
			record(approve, t2.Sub(t1), errors.Join(reqErr, apprErr))
		}
		record(card, t2.Sub(t0), errors.Join(reqErr, apprErr))
	})
	stopProgress()
	request.Wall, approve.Wall, card.Wall = wall, wall, wall
	out := []*Sample{request, card}
	if scenario == Approval {
		out = append(out, approve)
	}
	return out
}

func record(s *Sample, d time.Duration, err error) {
	s.Count++
	if err != nil {
		s.Errors++
		return
	}
	s.Latencies = append(s.Latencies, d)
}

// requestCard sends one request and returns once the card is persisted.
func requestCard(ctx context.Context, cfg Config, c client.Client, system, scenario string, j job) error {
	if system == "baseline" {
		return updateWithStart(ctx, c, client.StartWorkflowOptions{ID: "bench-baseline-" + j.cardID, TaskQueue: baselineQueue},
			baselineWorkflowName, BaselineInput{Approval: scenario == Approval, LocalReads: cfg.BaselineLocalReads}, "persisted")
	}
	cardType := "visitor"
	if scenario == Approval {
		cardType = "standard"
	}
	in := workflows.RequestCardInput{CardID: j.cardID, UserID: j.userID, CardType: cardType, RequestedBy: benchOperator}
	opts := client.StartWorkflowOptions{
		ID: workflows.WorkflowID(j.cardID), TaskQueue: cardflowQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	if cfg.StartMode == "start-then-query" {
		return startThenQuery(ctx, c, opts, in)
	}
	return updateWithStart(ctx, c, opts, workflows.WorkflowType, in, workflows.PersistedUpdate)
}

func updateWithStart(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflowType string, input any, update string) error {
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, workflowType, input),
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// startThenQuery is the alternative to update-with-start: start, then poll
// the status query until the card is persisted.
func startThenQuery(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, in workflows.RequestCardInput) error {
	run, err := c.ExecuteWorkflow(ctx, opts, workflows.WorkflowType, in)
	if err != nil {
		return err
	}
	for {
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.StatusQuery)
		if err != nil {
			return err
		}
		var s cards.Status
		if err := v.Get(&s); err != nil {
			return err
		}
		if s.State != cards.StatePending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func approveCard(ctx context.Context, c client.Client, system string, j job) error {
	id, update := workflows.WorkflowID(j.cardID), cards.Approve
	var arg any = cards.DecisionInput{Actor: benchApprover, Comment: "ok"}
	if system == "baseline" {
		id, arg = "bench-baseline-"+j.cardID, map[string]string{"actor": benchApprover}
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// progress prints done/total and the rate every second until stopped.
func progress(cfg Config, label string, total int, done *atomic.Int64) func() {
	if cfg.Progress == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				n := done.Load()
				fmt.Fprintf(cfg.Progress, "bench: %-36s %5d/%d done in %.1fs (%.0f/s)\n", label, n, total, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
				return
			case <-tick.C:
				n := done.Load()
				fmt.Fprintf(cfg.Progress, "bench: %-36s %5d/%d (%.0f/s)\n", label, n, total, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(stop); <-finished }
}
