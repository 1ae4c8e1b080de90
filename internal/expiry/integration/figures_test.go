package integration

import (
	"os"
	"testing"
	"time"
)

// The sweep's figures on this machine, for the performance docs (the
// benchmark proper is bench/): 1,000,000 cards with nothing due, then
// 10,000 due (5,000 reminders, 5,000 expiries), each through `starter
// expiry sweep`. Set CARDS_EXPIRY_FIGURES=1 to run it (about a minute).
func TestSweepFigures(t *testing.T) {
	if os.Getenv("CARDS_EXPIRY_FIGURES") == "" {
		t.Skip("set CARDS_EXPIRY_FIGURES=1 to measure the sweep over a million cards")
	}
	w := newWorld(t)
	w.worker()
	if _, err := w.st.DB.Exec(`INSERT INTO users (id, state, email) SELECT 'f' || g, 'active', 'f' || g || '@mail.example.com' FROM generate_series(1, 10000) g`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := w.st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
		SELECT gen_random_uuid(), 'f' || (1 + g % 10000), 'standard', 'F', 'f@example.com', 'active', 'olivia', 'w',
			now() + interval '100 days' + g * interval '1 second'
		FROM generate_series(1, 1000000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.DB.Exec(`ANALYZE cards`); err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000,000 cards written in %s", time.Since(start).Round(time.Millisecond))
	w.sweep() // warm: the worker's first workflow and activity tasks
	start = time.Now()
	d := w.sweep()
	t.Logf("nothing due: %s (visited %d, reminded %d, expired %d)", time.Since(start).Round(time.Millisecond), d.Visited, d.Reminded, d.Expired)
	if d.Visited != 0 {
		t.Fatalf("visited %d", d.Visited)
	}
	if _, err := w.st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
		SELECT gen_random_uuid(), 'f' || g, 'standard', 'F', 'f@example.com', 'active', 'olivia', 'w',
			CASE WHEN g <= 5000 THEN now() + interval '50 days' ELSE now() - interval '1 day' END
		FROM generate_series(1, 10000) g`); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	d = w.sweep()
	took := time.Since(start)
	t.Logf("10,000 due: %s (visited %d, reminded %d, expired %d, pages %d)", took.Round(time.Millisecond), d.Visited, d.Reminded, d.Expired, d.Pages)
	if d.Reminded != 5000 || d.Expired != 5000 {
		t.Fatalf("reminded %d, expired %d", d.Reminded, d.Expired)
	}
	start = time.Now()
	d = w.sweep()
	t.Logf("again (5,000 reminded already, nothing new): %s (visited %d, reminded %d, expired %d)", time.Since(start).Round(time.Millisecond), d.Visited, d.Reminded, d.Expired)
}
