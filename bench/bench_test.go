package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/scenarios"
	"github.com/cardflow/cardflow/bench/systems"
	"github.com/cardflow/cardflow/internal/testkit"
)

// smokeConfig is the harness small, with everything on as `go run ./bench`
// runs it: directory checks, encryption with a temporary key file, e-mail
// through a real Mailpit, all three systems, the scenarios of a plain run
// (issue has a test of its own, smaller: TestSmokeIssue).
func smokeConfig(progress *bytes.Buffer) engine.Config {
	return engine.Config{
		N: 30, C: 8, Rounds: 2, Warmup: 8, Scenarios: defaultScenarioNames(),
		StartMode: "update-with-start", BaselineLocalReads: true, BaselineMetrics: true,
		TemporalCLI: filepath.Join("..", "bin", "temporal"),
		PostgresURL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		DBPool:      10, Progress: progress,
		Encrypt: true, Mail: true, Mailpit: filepath.Join("..", "bin", "mailpit"), CFSSL: filepath.Join("..", "bin", "cfssl"),
		WorkflowPollers: 4, ActivityPollers: 4,
	}
}

// TestSmoke runs the harness small on a dev server and a fresh database: it
// checks correctness only (every card of every system answered, every
// cardflow card in its expected state once, its e-mails sent once, one write
// transaction per state change where no e-mail is counted with it) and logs
// the figures; no timing can fail it.
func TestSmoke(t *testing.T) {
	testkit.Integration(t)
	var progress bytes.Buffer
	cfg := smokeConfig(&progress)
	var picked []engine.CardScenario
	for _, name := range cfg.Scenarios {
		picked = append(picked, engine.Find(scenarios.All, name).(engine.CardScenario))
	}
	report, err := engine.Run(context.Background(), cfg, systems.All, picked)
	if report != nil {
		var out bytes.Buffer
		engine.PrintReport(&out, report)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	checked := 0
	for _, c := range report.Database {
		if c.OneTransactionPerChange != nil {
			checked++
			if !*c.OneTransactionPerChange {
				t.Errorf("%s: %.2f write transactions per card for %d state changes and %d approval writes", c.Scenario, c.WriteTransactions, c.StateChangesPerCard, c.ApprovalWritesPerCard)
			}
		}
	}
	if checked == 0 {
		t.Error("no scenario checked the write transactions per state change")
	}
	if !report.Setup.Encryption || report.Setup.KeyID == "" || !report.Setup.Mail {
		t.Errorf("not everything was on: %+v", report.Setup)
	}
	if want := 2 * (cfg.Warmup + cfg.N); report.Mail == nil || report.Mail.MailpitMessages != want {
		t.Errorf("e-mail report %+v, want %d messages in Mailpit (2 per approval card)", report.Mail, want)
	}
	checkEveryCard(t, cfg, report)
	if progress.Len() == 0 {
		t.Error("the harness showed no progress")
	}
}

// TestSmokeIssue runs the issue scenario small, with everything on and a
// real print station and CFSSL CA: every card of every system answered,
// every cardflow card active with its audit trail and two certificates good
// (the scenario's Verify), the yardstick's three runs counted. It is
// smaller than TestSmoke since one station prints one card at a time.
func TestSmokeIssue(t *testing.T) {
	testkit.Integration(t)
	var progress bytes.Buffer
	cfg := smokeConfig(&progress)
	cfg.N, cfg.C, cfg.Rounds, cfg.Warmup, cfg.Scenarios = 10, 5, 1, 2, []string{"issue"}
	report, err := engine.Run(context.Background(), cfg, systems.All, []engine.CardScenario{scenarios.Issue{}})
	if report != nil {
		var out bytes.Buffer
		engine.PrintReport(&out, report)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	if report.Setup.CA == "" {
		t.Error("the run started no CA")
	}
	for _, c := range report.Database {
		if !c.IncludesProduction || c.OneTransactionPerChange != nil || c.WriteTransactions < float64(c.StateChangesPerCard) {
			t.Errorf("%s: PostgreSQL %+v, want the production's writes counted", c.Scenario, c)
		}
	}
	checkEveryCard(t, cfg, report)
}

// TestSmokeDeactivateApproval runs deactivate-approval tiny with the real
// CA: every cardflow card inserted active ends inactive with its one
// deactivate row and its approver's vote (the scenario's Verify), both
// e-mails of each approval sent, the yardsticks' lanes counted.
func TestSmokeDeactivateApproval(t *testing.T) {
	testkit.Integration(t)
	var progress bytes.Buffer
	cfg := smokeConfig(&progress)
	cfg.N, cfg.C, cfg.Rounds, cfg.Warmup, cfg.Scenarios = 6, 3, 1, 2, []string{"deactivate-approval"}
	report, err := engine.Run(context.Background(), cfg, systems.All, []engine.CardScenario{scenarios.DeactivateApproval{}})
	if report != nil {
		var out bytes.Buffer
		engine.PrintReport(&out, report)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	checkEveryCard(t, cfg, report)
}

// checkEveryCard checks that every system ran every card of every
// scenario without an error, that each has its history and ratios.
func checkEveryCard(t *testing.T, cfg engine.Config, report *engine.Report) {
	t.Helper()
	for _, sys := range systems.All.Systems {
		for _, s := range cfg.Scenarios {
			system := sys.Name()
			if sum := findSummary(report.Summaries, system+" "+s+" card"); sum.Count != cfg.N || sum.Errors != 0 {
				t.Errorf("%s %s: %d cards, %d errors; want %d, none", system, s, sum.Count, sum.Errors, cfg.N)
			}
		}
	}
	checkHistories(t, report.Histories, len(cfg.Scenarios))
	if len(report.Ratios) != len(systems.All.Comparisons)*len(cfg.Scenarios) {
		t.Errorf("%d ratios, want cardflow/minimal and cardflow/baseline per scenario", len(report.Ratios))
	}
}

// TestSmokeWaiting runs the scale mode small: every card approved, every
// e-mail sent, and the heap profile written with the cards waiting.
func TestSmokeWaiting(t *testing.T) {
	testkit.Integration(t)
	var progress bytes.Buffer
	cfg := smokeConfig(&progress)
	cfg.MemProfile = filepath.Join(t.TempDir(), "heap.prof")
	cfg.StickyCache = 0
	report, err := engine.RunScale(context.Background(), cfg, systems.All, waitingScenario(), 20)
	if report != nil {
		var out bytes.Buffer
		report.Print(&out)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	r := report.(*scenarios.WaitingReport)
	if r.Mail == nil || r.Mail.MailpitMessages != 2*r.Cards {
		t.Errorf("e-mail report %+v, want %d messages in Mailpit", r.Mail, 2*r.Cards)
	}
	if r.Waiting.RSSMiB == 0 || r.Waiting.Goroutines == 0 {
		t.Errorf("memory not measured: %+v", r.Waiting)
	}
	if fi, err := os.Stat(cfg.MemProfile); err != nil || fi.Size() == 0 {
		t.Errorf("heap profile %s: %v", cfg.MemProfile, err)
	}
}

// TestSmokeExpiry runs the expiry scale scenario small: a sweep over a few
// thousand cards with nothing due visits none, one with 40 due reminds 20
// and expires 20, Mailpit holds their 40 e-mails, and a third sweep finds
// nothing new (the scenario's own verification); no timing can fail it.
func TestSmokeExpiry(t *testing.T) {
	testkit.Integration(t)
	var progress bytes.Buffer
	cfg := smokeConfig(&progress)
	cfg.Scenarios, cfg.ExpiryCards, cfg.ExpiryDue = []string{"expiry"}, 5000, 40
	report, err := engine.RunScale(context.Background(), cfg, systems.All, scenarios.Expiry{}, cfg.ExpiryCards)
	if report != nil {
		var out bytes.Buffer
		report.Print(&out)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	r := report.(*scenarios.ExpiryReport)
	if r.Idle.Pages == 0 || r.Busy.Visited != cfg.ExpiryDue || r.MailpitMessages != cfg.ExpiryDue || r.MailSeconds == 0 {
		t.Errorf("report %+v; want a page swept, %d due visited and their e-mails counted in Mailpit", r, cfg.ExpiryDue)
	}
	if len(r.CPU["due"]) == 0 {
		t.Error("no CPU measured for the due sweep")
	}
}

// minimalShape is what the yardstick's card is defined as, per scenario:
// its workflow runs, activities, updates and markers (a request's one local
// activity; no timer, no search attribute). A request's state change is one
// activity; issue adds MinimalIssue (5 activities, one of them at the
// station) and MinimalActivate (3); deactivate-approval is MinimalDeactivate
// alone (check, vote, hold, transition; the awaiting and approve updates).
var minimalShape = map[string]struct{ runs, activities, updates, markers int }{
	"noapproval":          {1, 1, 1, 1},
	"approval":            {1, 2, 2, 1},
	"issue":               {3, 9, 1, 1},
	"deactivate-approval": {1, 4, 2, 0},
}

// checkHistories checks that every system's history was counted and that
// the yardstick is still what it is defined as (minimalShape).
func checkHistories(t *testing.T, hs []engine.HistoryShape, scenarioCount int) {
	t.Helper()
	if len(hs) != len(systems.All.Systems)*scenarioCount {
		t.Errorf("%d histories, want one per system and scenario", len(hs))
	}
	for _, h := range hs {
		if h.Events == 0 {
			t.Errorf("%s %s: empty history", h.System, h.Scenario)
		}
		if h.System != systems.MinimalName {
			continue
		}
		want, ok := minimalShape[h.Scenario]
		if !ok {
			t.Errorf("no minimal shape for scenario %s", h.Scenario)
		}
		if h.Runs != want.runs || h.Activities != want.activities || h.Markers != want.markers || h.Timers != 0 || h.Upserts != 0 || h.Updates != want.updates {
			t.Errorf("the minimal baseline is not minimal: %+v", h)
		}
	}
}

func findSummary(sums []engine.Summary, name string) engine.Summary {
	for _, s := range sums {
		if s.Name == name {
			return s
		}
	}
	return engine.Summary{}
}

// TestSmokeOrders runs both order scale scenarios small (a request order of
// 40 users, an issue order of 8 cards at the real station and CA), each
// against the same number done one by one: every card ended once, the
// figures filled in (throughput of both ways, p99 per item from the
// order's histories, RSS peak, runs and events, first progress). No timing
// can fail it.
func TestSmokeOrders(t *testing.T) {
	testkit.Integration(t)
	for _, tc := range []struct {
		scenario engine.ScaleScenario
		n        int
	}{{scenarios.OrderRequest{}, 40}, {scenarios.OrderIssue{}, 8}} {
		t.Run(tc.scenario.Name(), func(t *testing.T) {
			var progress bytes.Buffer
			cfg := smokeConfig(&progress)
			report, err := engine.RunScale(context.Background(), cfg, systems.All, tc.scenario, tc.n)
			if report != nil {
				var out bytes.Buffer
				report.Print(&out)
				t.Log(out.String())
			}
			if err != nil {
				t.Fatalf("%v\nprogress:\n%s", err, progress.String())
			}
			r := report.(*scenarios.OrderReport)
			if r.Counts.Done != tc.n || r.Counts.Total != tc.n {
				t.Errorf("order counts %+v, want %d done", r.Counts, tc.n)
			}
			for name, f := range map[string]scenarios.OrderFigures{"order": r.Order, "one by one": r.Alone} {
				if f.ItemsPerSec <= 0 || f.P99Ms <= 0 || f.RSSPeakMiB <= 0 || f.Errors != 0 {
					t.Errorf("%s: figures missing or errors: %+v", name, f)
				}
			}
			if r.Ratio <= 0 || r.Runs < 1 || len(r.EventsPerRun) != r.Runs || r.EventsPerRun[0] == 0 {
				t.Errorf("ratio %.2f, %d runs, events %v", r.Ratio, r.Runs, r.EventsPerRun)
			}
			if r.FirstRowSeconds <= 0 || r.FirstProgressSeconds < r.FirstRowSeconds || r.FirstProgressSeconds > r.Order.Seconds {
				t.Errorf("first row after %.2fs, first progress after %.2fs, order took %.2fs", r.FirstRowSeconds, r.FirstProgressSeconds, r.Order.Seconds)
			}
		})
	}
}
