package store_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// BenchmarkInbox measures the Inbox query (issue 19: p95 ≤ 50 ms at
// 10,000 open approvals among 1,000,000 cards). It seeds one database
// (CARDFLOW_INBOX_CARDS cards, default 1,000,000; 10,000 of them with an
// open approval, half requests and half deactivations, and 90,000 closed
// approvals), then pages through alice's whole Inbox, 50 a page, timing
// every page, and reports p50 and p95 in ms.
//
//	go test -run '^$' -bench BenchmarkInbox -benchtime 1x ./internal/store/
func BenchmarkInbox(b *testing.B) {
	cardCount := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CARDFLOW_INBOX_CARDS")); err == nil && v >= 100_000 {
		cardCount = v
	}
	b.StopTimer()
	st := seedInbox(b, cardCount)
	ctx := context.Background()
	var samples []time.Duration
	b.StartTimer()
	for range b.N {
		var cursor store.InboxCursor
		seen := 0
		for {
			start := time.Now()
			items, next, err := st.Inbox(ctx, "alice", cursor, 50)
			samples = append(samples, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			seen += len(items)
			if next.ID == 0 {
				break
			}
			cursor = next
		}
		if seen != 10_000 {
			b.Fatalf("alice's Inbox listed %d approvals, want 10,000", seen)
		}
	}
	b.StopTimer()
	slices.Sort(samples)
	p := func(q float64) float64 {
		return float64(samples[int(q*float64(len(samples)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.95), "p95-ms")
	b.ReportMetric(float64(len(samples)), "pages")
	b.Logf("Inbox over %d cards, 10,000 open approvals: %d pages of 50, p50 %.2f ms, p95 %.2f ms, max %.2f ms",
		cardCount, len(samples), p(0.50), p(0.95), p(1))
}

func seedInbox(b *testing.B, cardCount int) *store.Store {
	url := testkit.Database(b)
	st, err := store.Open(context.Background(), url, store.PoolOptions{MaxOpen: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	for _, q := range []string{
		`INSERT INTO users (id, state) SELECT 'u' || g, 'active' FROM generate_series(1, 20000) g`,
		`INSERT INTO users (id, state) VALUES ('alice', 'active'), ('olivia', 'active')`,
		`INSERT INTO user_roles (user_id, role) VALUES ('alice', 'approver'), ('olivia', 'operator')`,
		// Cards 1..5,000 wait for their request's approval, 5,001..10,000
		// are active with a deactivation waiting, the rest are decided.
		`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, created_at)
		 SELECT md5(g::text)::uuid, 'u' || (g % 20000 + 1), 'standard', 'Card ' || g, 'u' || g || '@example.test',
		        CASE WHEN g <= 5000 THEN 'requested' WHEN g <= 10000 THEN 'active' ELSE 'approved' END,
		        'olivia', 'request-card-' || g, now() - (g || ' seconds')::interval
		 FROM generate_series(1, ` + strconv.Itoa(cardCount) + `) g`,
		`INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, expires_at, state, created_at, closed_at)
		 SELECT md5(g::text)::uuid, CASE WHEN g <= 5000 THEN 'request' ELSE 'deactivation' END, 'wf-' || g, 'run', 1, 'approver',
		        'olivia', 'u' || (g % 20000 + 1), 'standard', now() + interval '7 days', 'open', now() - (g || ' seconds')::interval, NULL
		 FROM generate_series(1, 10000) g`,
		`INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, state, created_at, closed_at)
		 SELECT md5(g::text)::uuid, 'request', 'wf-' || g, 'run', 1, 'approver', 'olivia', 'u' || (g % 20000 + 1), 'standard', 'approved',
		        now() - (g || ' seconds')::interval, now()
		 FROM generate_series(10001, 100000) g`,
		`ANALYZE`,
	} {
		if _, err := st.DB.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	return st
}
