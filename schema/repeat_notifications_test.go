package schema_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// repeatNotificationsVersion is the migration that keys each reactivation's
// e-mail by its run.
const repeatNotificationsVersion = 17

// Every e-mail event the migrations allowed before, by table: a rewrite of
// the CHECKs must keep them all (rows of them exist, and old outbox rows
// must still be sent).
var (
	outboxEventsSoFar = []string{"requested", "reminder", "decided", "issued", "activated", "reactivated", "locked", "expired",
		"expiring-1440h", "expiring-30m", "expiring-daily-2029-11-20", "order-waiting-1", "order-completed-12"}
	notificationEventsSoFar = append([]string{"deactivation-requested:run-1", "reactivation-reminder:run-2", "lock-decided:run-3"},
		outboxEventsSoFar...)
)

// insertEvent writes one row of event into table (notifications or
// notification_outbox) and returns the constraint that refused it, or "".
func insertEvent(t *testing.T, db *sql.DB, table, event string) string {
	t.Helper()
	if table == "notifications" {
		return constraint(t, db, `INSERT INTO notifications (card_id, event, recipient, message_id, status)
			VALUES ($1, $2, 'carol', 'm', 'sent')`, uuid.NewString(), event)
	}
	return constraint(t, db, `INSERT INTO notification_outbox (card_id, event, input) VALUES ($1, $2, '{}')`, uuid.NewString(), event)
}

// 00017 lets each reactivation have its own e-mail (reactivated:<run>) in
// both tables, keeps every event allowed so far (and the rows of them),
// and refuses what stays wrong; its Down removes the per-run rows only.
func TestRepeatNotificationsMigrationKeepsEveryEarlierEvent(t *testing.T) {
	ctx := context.Background()
	db := testkit.Open(t, testkit.EmptyDatabase(t))
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, repeatNotificationsVersion-1); err != nil {
		t.Fatal(err)
	}
	tables := map[string][]string{"notifications": notificationEventsSoFar, "notification_outbox": outboxEventsSoFar}
	for table, events := range tables {
		for _, event := range events {
			if got := insertEvent(t, db, table, event); got != "" {
				t.Fatalf("before 00017: %s refused %q: %s", table, event, got)
			}
		}
	}
	if _, err := p.UpTo(ctx, repeatNotificationsVersion); err != nil {
		t.Fatalf("00017 over rows of every earlier event: %v", err)
	}
	for table, events := range tables {
		for _, event := range append(events, "reactivated:0190e2b5-7c1a-7e4b-9a55-3f0c2d7e8a11", "reactivated:run-r2") {
			if got := insertEvent(t, db, table, event); got != "" {
				t.Errorf("after 00017: %s refused %q: %s", table, event, got)
			}
		}
		for _, event := range []string{"reactivated:", "locked:run-1", "activated:run-1", "deactivated:run-1", "reactivated-run-1", "approved"} {
			if got := insertEvent(t, db, table, event); got != table+"_event_check" {
				t.Errorf("after 00017: %s accepted %q (%q), want its CHECK to refuse it", table, event, got)
			}
		}
	}
	if got := insertEvent(t, db, "notification_outbox", "deactivation-requested:run-9"); got != "notification_outbox_event_check" {
		t.Errorf("the outbox accepted an approval e-mail (%q): those are sent by the workflow, never queued", got)
	}

	count := func(table, like string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM `+table+` WHERE event LIKE $1`, like).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("00017 down: %v", err)
	}
	for table, events := range tables {
		if n := count(table, "reactivated:%"); n != 0 {
			t.Errorf("after the down: %s keeps %d per-run rows", table, n)
		}
		if n := count(table, "%"); n != 2*len(events) {
			t.Errorf("after the down: %s holds %d rows, want the %d of the earlier events", table, n, 2*len(events))
		}
		if got := insertEvent(t, db, table, "reactivated:run-r3"); got != table+"_event_check" {
			t.Errorf("after the down: %s accepted a per-run event (%q)", table, got)
		}
	}
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
