package main

import (
	"fmt"
	"io"
	"slices"
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

// Ratio compares cardflow with the baseline for one scenario.
type Ratio struct {
	Scenario   string  `json:"scenario"`
	Throughput float64 `json:"throughputRatio"`
	P99        float64 `json:"p99Ratio"`
}

func printTable(w io.Writer, sums []Summary, ratios []Ratio) {
	fmt.Fprintf(w, "\n%-28s %7s %6s %10s %9s %9s %9s\n", "operation", "n", "errors", "per sec", "p50 ms", "p95 ms", "p99 ms")
	for _, s := range sums {
		fmt.Fprintf(w, "%-28s %7d %6d %10.1f %9.2f %9.2f %9.2f\n", s.Name, s.Count, s.Errors, s.Throughput, s.P50ms, s.P95ms, s.P99ms)
	}
	fmt.Fprintf(w, "\n%-28s %16s %10s\n", "cardflow / baseline", "throughput", "p99")
	for _, r := range ratios {
		fmt.Fprintf(w, "%-28s %16.3f %10.3f\n", r.Scenario, r.Throughput, r.P99)
	}
}
