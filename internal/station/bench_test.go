package station_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cardflow/cardflow/internal/ca/catest"
	"github.com/cardflow/cardflow/internal/station"
)

// BenchmarkProduceCard is the station's own time per job (two keys, two
// certificates from the in-memory CA, rendering, five files), without
// Temporal: go test -run - -bench ProduceCard ./internal/station
func BenchmarkProduceCard(b *testing.B) {
	s := &station.Station{ID: "bench", Output: b.TempDir(), Issuer: catest.New(b)}
	for i := 0; b.Loop(); i++ {
		if _, err := s.ProduceCard(context.Background(), testJob(b, fmt.Sprintf("card-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
}
