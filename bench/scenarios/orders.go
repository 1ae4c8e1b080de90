package scenarios

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/systems"
	"github.com/cardflow/cardflow/internal/store"
)

// orderKind is what differs between the two order scenarios: how their
// cards are prepared, how one card is done alone, and how the outcome is
// checked. runOrder does the rest, the same for both.
type orderKind struct {
	name   string
	kind   string
	window int
	// prepare readies the cards (users in the directory; for issue, the
	// cards requested and approved).
	prepare func(ctx context.Context, e *engine.Env, subject engine.Running, cs []engine.Card) error
	// alone does one card by itself, as the starter would.
	alone func(ctx context.Context, o engine.Orderer, subject engine.Running, c engine.Card) error
	// spec is the order over cs.
	spec func(id string, cs []engine.Card) engine.OrderSpec
	// verify checks the cards done alone and the order's, and returns
	// what is wrong.
	verify func(ctx context.Context, e *engine.Env, alone, ordered []engine.Card, orderID string) ([]string, error)
	// within bounds the order's run.
	within time.Duration
}

// OrderFigures are one way of doing the cards: as one order or one at a
// time.
type OrderFigures struct {
	Seconds     float64 `json:"seconds"`
	ItemsPerSec float64 `json:"itemsPerSecond"`
	P50Ms       float64 `json:"p50Ms"`
	P99Ms       float64 `json:"p99Ms"`
	// RSSPeakMiB is the bench process's resident memory at its highest
	// during this way (the worker runs in the process).
	RSSPeakMiB   float64            `json:"rssPeakMiB"`
	CPUMsPerCard map[string]float64 `json:"cpuMsPerCard"`
	Errors       int64              `json:"errors"`
}

// OrderReport is an order scenario's outcome: the same number of cards as
// one order and one at a time (at the order's window), in the same run.
type OrderReport struct {
	Setup    engine.Setup `json:"setup"`
	Scenario string       `json:"scenario"`
	Items    int          `json:"items"`
	Window   int          `json:"window"`
	Warmup   int          `json:"warmup"`
	Order    OrderFigures `json:"order"`
	Alone    OrderFigures `json:"oneByOne"`
	// Ratio is the order's throughput over one-by-one's (target ≥ 0.9);
	// P99Ratio the order's p99 per item over one-by-one's.
	Ratio    float64 `json:"throughputRatio"`
	P99Ratio float64 `json:"p99Ratio"`
	// Before is the bench process before the measured phases.
	Before engine.Memory `json:"before"`
	// Runs and EventsPerRun are the Order workflow's runs (continue-as-new)
	// and the history events of each.
	Runs         int   `json:"runs"`
	EventsPerRun []int `json:"eventsPerRun"`
	// FirstRowSeconds is when the order's row was readable after the start
	// call, FirstProgressSeconds when its counts first showed an item ended
	// (what the console's Batch orders page and the starter's progress line
	// read: store.Order).
	FirstRowSeconds      float64           `json:"firstRowSeconds"`
	FirstProgressSeconds float64           `json:"firstProgressSeconds"`
	Counts               store.OrderCounts `json:"counts"`
}

// warmupSize is how many cards each way does before the measured phases.
func warmupSize(n int) int { return max(1, min(50, n/20)) }

// runOrder does n cards one at a time (half), as one order, then one at a
// time again (the other half), so that drift in the run hits both ways
// alike; then reads the order's runs and verifies every card.
func runOrder(ctx context.Context, e *engine.Env, subject engine.Running, k orderKind, n int) (*OrderReport, error) {
	o, ok := subject.(engine.Orderer)
	if !ok {
		return nil, fmt.Errorf("%s takes no batch orders", systems.CardflowName)
	}
	w := warmupSize(n)
	r := &OrderReport{Setup: e.Setup, Scenario: k.name, Items: n, Window: k.window, Warmup: w}
	warm := engine.NewCards(k.name+"-warm-", 2*w)
	cs := engine.NewCards(k.name+"-", 2*n)
	if err := k.prepare(ctx, e, subject, append(append([]engine.Card{}, warm...), cs...)); err != nil {
		return r, err
	}
	say(e, "%s: warm-up, %d cards one by one and an order of %d", k.name, w, w)
	if ph := engine.RunPhaseAt(ctx, e, k.name+": warm-up one by one", k.window, warm[:w], func(c engine.Card) error {
		return k.alone(ctx, o, subject, c)
	}); ph.Errors > 0 {
		return r, fmt.Errorf("warm-up: %d of %d cards failed one by one", ph.Errors, w)
	}
	if _, _, err := startAndWatch(ctx, e, o, k, uuid.NewString(), warm[w:]); err != nil {
		return r, fmt.Errorf("warm-up order: %w", err)
	}

	r.Before = engine.MeasureMemory()
	aloneCards, orderCards := cs[:n], cs[n:]
	var mu sync.Mutex
	var latencies []time.Duration
	alone := func(c engine.Card) error {
		t := time.Now()
		err := k.alone(ctx, o, subject, c)
		if err == nil {
			mu.Lock()
			latencies = append(latencies, time.Since(t))
			mu.Unlock()
		}
		return err
	}
	var halves [2]engine.Phase
	var peaks [2]float64
	peak := engine.RSSPeak(100 * time.Millisecond)
	halves[0] = engine.RunPhaseAt(ctx, e, k.name+": one by one (1 of 2)", k.window, aloneCards[:n/2], alone)
	peaks[0] = peak()

	orderID := uuid.NewString()
	var watch engine.OrderWatch
	var firstRun string
	peak = engine.RSSPeak(100 * time.Millisecond)
	orderPhase := engine.TimePhase(e, n, func() (int64, error) {
		var err error
		watch, firstRun, err = startAndWatch(ctx, e, o, k, orderID, orderCards)
		return int64(watch.Order.Failed + watch.Order.Skipped), err
	})
	r.Order.RSSPeakMiB = peak()
	r.Counts = watch.Order.OrderCounts
	r.FirstRowSeconds, r.FirstProgressSeconds = watch.FirstRow.Seconds(), watch.FirstProgress.Seconds()
	if watch.Tried == 0 {
		return r, fmt.Errorf("order %s did not end: %+v", orderID, watch.Order.OrderCounts)
	}

	peak = engine.RSSPeak(100 * time.Millisecond)
	halves[1] = engine.RunPhaseAt(ctx, e, k.name+": one by one (2 of 2)", k.window, aloneCards[n/2:], alone)
	peaks[1] = peak()

	// The order's figures: from the start call until every item had ended,
	// as the console sees it; per item, from the workflow's history.
	runs, err := engine.ReadOrderRuns(ctx, subject, o.OrderWorkflowID(orderID), firstRun)
	if err != nil {
		return r, err
	}
	r.Runs, r.EventsPerRun = len(runs.Events), runs.Events
	r.Order.Seconds = watch.Tried.Seconds()
	r.Order.ItemsPerSec = float64(n) / watch.Tried.Seconds()
	r.Order.P50Ms, r.Order.P99Ms = engine.PercentileMs(runs.Items, 0.5), engine.PercentileMs(runs.Items, 0.99)
	r.Order.CPUMsPerCard, r.Order.Errors = orderPhase.CPUMsPerCard, orderPhase.Errors

	wall := halves[0].Wall + halves[1].Wall
	r.Alone = OrderFigures{Seconds: wall.Seconds(), ItemsPerSec: float64(n) / wall.Seconds(),
		P50Ms: engine.PercentileMs(latencies, 0.5), P99Ms: engine.PercentileMs(latencies, 0.99),
		RSSPeakMiB: max(peaks[0], peaks[1]), Errors: halves[0].Errors + halves[1].Errors, CPUMsPerCard: map[string]float64{}}
	for g, v := range halves[0].CPUMsPerCard {
		// Each half's CPU per card is over its own cards; weigh them.
		h0, h1 := float64(n/2), float64(n-n/2)
		r.Alone.CPUMsPerCard[g] = (v*h0 + halves[1].CPUMsPerCard[g]*h1) / float64(n)
	}
	r.Ratio = r.Order.ItemsPerSec / r.Alone.ItemsPerSec
	if r.Alone.P99Ms > 0 {
		r.P99Ratio = r.Order.P99Ms / r.Alone.P99Ms
	}

	problems, err := k.verify(ctx, e, aloneCards, orderCards, orderID)
	if err != nil {
		return r, err
	}
	if r.Alone.Errors > 0 || r.Order.Errors > 0 || len(runs.Items) != n {
		problems = append(problems, fmt.Sprintf("%d cards failed one by one, %d order items not done, %d of %d items in the order's histories",
			r.Alone.Errors, r.Order.Errors, len(runs.Items), n))
	}
	if len(problems) > 0 {
		return r, fmt.Errorf("verification failed: %v", problems)
	}
	return r, nil
}

// startAndWatch starts the order over cs and watches it until every item
// has ended.
func startAndWatch(ctx context.Context, e *engine.Env, o engine.Orderer, k orderKind, id string, cs []engine.Card) (engine.OrderWatch, string, error) {
	start := time.Now()
	run, err := o.StartOrder(ctx, k.spec(id, cs))
	if err != nil {
		return engine.OrderWatch{}, "", err
	}
	say(e, "%s: order %s of %d started", k.name, id, len(cs))
	w, err := engine.WatchOrder(ctx, e, id, start, k.within)
	if err == nil && (w.Order.Done != len(cs)) {
		err = fmt.Errorf("order %s: %+v, want every item done", id, w.Order.OrderCounts)
	}
	return w, run, err
}

// say writes a line of progress.
func say(e *engine.Env, format string, args ...any) {
	if e.Config.Progress != nil {
		fmt.Fprintf(e.Config.Progress, "bench: "+format+"\n", args...)
	}
}

// Verified is the closing line of a verified run.
func (r *OrderReport) Verified() string {
	return fmt.Sprintf("verification: every card of the order and every card done one by one ended once (%s)", r.Scenario)
}

// Print is the order scenario's tables.
func (r *OrderReport) Print(w io.Writer) {
	fmt.Fprintln(w)
	engine.PrintSetup(w, r.Setup)
	fmt.Fprintf(w, "\n%s: %d cards as one order against %d one by one at the order's window (%d at once), after a warm-up of %d each\n",
		r.Scenario, r.Items, r.Items, r.Window, r.Warmup)
	fmt.Fprintf(w, "\n%-24s %10s %10s %10s %10s %14s\n", "", "seconds", "items/s", "p50 ms", "p99 ms", "RSS peak MiB")
	for _, row := range []struct {
		name string
		f    OrderFigures
	}{{"order", r.Order}, {"one by one", r.Alone}} {
		fmt.Fprintf(w, "%-24s %10.1f %10.1f %10.0f %10.0f %14.1f\n", row.name, row.f.Seconds, row.f.ItemsPerSec, row.f.P50Ms, row.f.P99Ms, row.f.RSSPeakMiB)
	}
	fmt.Fprintf(w, "%-24s %10s %10.2f %10s %10.2f   (targets: throughput ≥ 0.9; RSS < 300 MiB)\n", "order / one by one", "", r.Ratio, "", r.P99Ratio)
	fmt.Fprintf(w, "\n%-34s %.1f MiB resident, %.1f MiB heap\n", "bench process before", r.Before.RSSMiB, r.Before.HeapMiB)
	total, most := 0, 0
	for _, ev := range r.EventsPerRun {
		total += ev
		most = max(most, ev)
	}
	fmt.Fprintf(w, "%-34s %d runs, %d events in all, at most %d in one run: %v\n", "Order workflow", r.Runs, total, most, r.EventsPerRun)
	fmt.Fprintf(w, "%-34s row after %.2f s, first item ended after %.2f s\n", "order as the console sees it", r.FirstRowSeconds, r.FirstProgressSeconds)
	fmt.Fprintf(w, "%-34s %+v\n", "order counts", r.Counts)
	engine.PrintCPU(w, []engine.CPUCost{{System: systems.CardflowName, Scenario: "order", MsPerCard: r.Order.CPUMsPerCard},
		{System: systems.CardflowName, Scenario: "one by one", MsPerCard: r.Alone.CPUMsPerCard}})
}
