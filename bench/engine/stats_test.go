package engine

import (
	"math"
	"testing"
)

// Each round's ratio is its own batches' throughputs divided, so that the
// spread of one run shows beside its pooled ratio.
func TestRatioPerRound(t *testing.T) {
	m := newMeasurements()
	m.rounds["cardflow two"] = []float64{30, 36, 33}
	m.rounds["minimal two"] = []float64{50, 45, 60}
	r := m.ratio("cardflow", twoSteps{}, "minimal")
	want := []float64{0.6, 0.8, 0.55}
	if len(r.PerRound) != len(want) {
		t.Fatalf("per round %v, want %v", r.PerRound, want)
	}
	for i := range want {
		if math.Abs(r.PerRound[i]-want[i]) > 1e-9 {
			t.Errorf("round %d: %.3f, want %.3f", i+1, r.PerRound[i], want[i])
		}
	}
	if got, line := perRoundLine(r.PerRound), "per round: 0.60 0.80 0.55 (median 0.60, range 0.55–0.80)"; got != line {
		t.Errorf("line %q, want %q", got, line)
	}
	if got, line := perRoundLine([]float64{0.5, 0.7, 0.6, 0.62}), "per round: 0.50 0.70 0.60 0.62 (median 0.61, range 0.50–0.70)"; got != line {
		t.Errorf("even count: %q, want %q", got, line)
	}
}
