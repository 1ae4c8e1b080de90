package systems

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
)

var counterLine = regexp.MustCompile(`(?m)^(cardflow_db_write_transactions_total|cardflow_db_reads_total) ([0-9.e+]+)$`)

// DBCounts reads the cardflow worker's own count of committed write
// transactions and reads: exact, unlike pg_stat_database, which also counts
// autovacuum and flushes late.
func (r *runningCardflow) DBCounts(ctx context.Context) (writes, reads float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.metricsURL, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	found := 0
	for _, m := range counterLine.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "cardflow_db_write_transactions_total" {
			writes = v
		} else {
			reads = v
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("worker metrics at %s lack the database counters", r.metricsURL)
	}
	return writes, reads, nil
}
