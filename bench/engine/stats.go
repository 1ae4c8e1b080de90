package engine

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Sample is the latencies of one measured operation.
type Sample struct {
	Name      string          `json:"name"`
	Count     int             `json:"count"`
	Errors    int             `json:"errors"`
	Wall      time.Duration   `json:"wallNanos"`
	Latencies []time.Duration `json:"-"`
}

// Summary is what the table and the JSON report show of a sample.
type Summary struct {
	Name       string  `json:"name"`
	Count      int     `json:"count"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughputPerSecond"`
	P50ms      float64 `json:"p50ms"`
	P95ms      float64 `json:"p95ms"`
	P99ms      float64 `json:"p99ms"`
}

func (s *Sample) add(other *Sample) {
	s.Count += other.Count
	s.Errors += other.Errors
	s.Wall += other.Wall
	s.Latencies = append(s.Latencies, other.Latencies...)
}

func (s *Sample) summary() Summary {
	lat := slices.Clone(s.Latencies)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p*float64(len(lat))+0.5) - 1
		i = max(0, min(i, len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	tput := 0.0
	if s.Wall > 0 {
		tput = float64(s.Count) / s.Wall.Seconds()
	}
	return Summary{Name: s.Name, Count: s.Count, Errors: s.Errors, Throughput: tput, P50ms: pct(0.50), P95ms: pct(0.95), P99ms: pct(0.99)}
}

// Ratio compares the subject's whole cards with another system's in one
// scenario: throughput (subject / other, higher is better) and p99 latency
// (lower is better), also per step.
type Ratio struct {
	Scenario   string  `json:"scenario"`
	Against    string  `json:"against"`
	Throughput float64 `json:"throughputRatio"`
	P99        float64 `json:"p99Ratio"`
	RequestP99 float64 `json:"requestP99Ratio"`
	ApproveP99 float64 `json:"approveP99Ratio,omitempty"`
	// IssueP99 and ActivateP99 are Issue card's steps (scenario issue).
	IssueP99    float64 `json:"issueP99Ratio,omitempty"`
	ActivateP99 float64 `json:"activateP99Ratio,omitempty"`
	// PerRound is the throughput ratio of each round's batches alone:
	// its spread says how far one run's Throughput can be trusted (on a
	// shared 2-core machine the yardstick's own batches vary by a third).
	PerRound []float64 `json:"throughputRatioPerRound,omitempty"`
}

// The targets against the headline yardstick (the minimal workflow): at
// least this share of its throughput, at most this multiple of its p99.
const (
	targetThroughput = 0.9
	targetP99        = 1.5
)

// printTable is the latency table, then a ratio table per comparison.
func printTable(w io.Writer, subject string, comparisons []Comparison, sums []Summary, ratios []Ratio) {
	fmt.Fprintf(w, "\n%-32s %7s %6s %10s %9s %9s %9s\n", "operation", "n", "errors", "per sec", "p50 ms", "p95 ms", "p99 ms")
	for _, s := range sums {
		fmt.Fprintf(w, "%-32s %7d %6d %10.1f %9.2f %9.2f %9.2f\n", s.Name, s.Count, s.Errors, s.Throughput, s.P50ms, s.P95ms, s.P99ms)
	}
	for _, c := range comparisons {
		title := subject + " / " + c.Against
		if c.Targets {
			title += fmt.Sprintf(" (targets: throughput >= %.1f, p99 <= %.1f)", targetThroughput, targetP99)
		} else {
			title += " (" + c.Note + ")"
		}
		fmt.Fprintf(w, "\n%s\n%-14s %12s %10s %12s %12s %12s %12s\n", title, "scenario", "throughput", "p99", "request p99", "approve p99", "issue p99", "activate p99")
		for _, r := range ratios {
			if r.Against != c.Against {
				continue
			}
			step := func(v float64) string {
				if v > 0 {
					return fmt.Sprintf("%.3f", v)
				}
				return "-"
			}
			verdict := ""
			if c.Targets {
				verdict = "  targets met"
				if r.Throughput < targetThroughput || r.P99 > targetP99 {
					verdict = "  targets NOT met"
				}
			}
			fmt.Fprintf(w, "%-14s %12.3f %10.3f %12.3f %12s %12s %12s%s\n", r.Scenario, r.Throughput, r.P99, r.RequestP99,
				step(r.ApproveP99), step(r.IssueP99), step(r.ActivateP99), verdict)
			if len(r.PerRound) > 1 {
				fmt.Fprintf(w, "%-14s %s\n", "", perRoundLine(r.PerRound))
			}
		}
	}
}

// perRoundLine shows the rounds' throughput ratios, their median and
// range.
func perRoundLine(ratios []float64) string {
	parts := make([]string, len(ratios))
	for i, v := range ratios {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	sorted := slices.Sorted(slices.Values(ratios))
	median := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	return fmt.Sprintf("per round: %s (median %.2f, range %.2f–%.2f)", strings.Join(parts, " "), median, sorted[0], sorted[len(sorted)-1])
}
