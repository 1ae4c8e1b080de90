package schema_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

func TestMigrateIsIdempotentAndVersioned(t *testing.T) {
	ctx := context.Background()
	db := testkit.Open(t, testkit.EmptyDatabase(t))
	var outdated *schema.ErrSchemaOutdated
	if err := schema.CheckCurrent(ctx, db); !errors.As(err, &outdated) || !strings.Contains(err.Error(), schema.MigrateCommand) {
		t.Fatalf("empty database: err = %v, want ErrSchemaOutdated naming %q", err, schema.MigrateCommand)
	}
	applied, err := schema.Migrate(ctx, db)
	if err != nil || len(applied) == 0 || applied[0].Version != 1 {
		t.Fatalf("first migrate: %v, %v", applied, err)
	}
	again, err := schema.Migrate(ctx, db)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", again, err)
	}
	if err := schema.CheckCurrent(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// constraint runs stmt and returns the name of the constraint it broke.
func constraint(t *testing.T, db *sql.DB, stmt string, args ...any) string {
	t.Helper()
	_, err := db.Exec(stmt, args...)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		if pqErr.Constraint != "" {
			return pqErr.Constraint
		}
		return pqErr.Message
	}
	if err != nil {
		t.Fatal(err)
	}
	return ""
}

func TestTheDatabaseEnforcesTheRules(t *testing.T) {
	db := testkit.Open(t, testkit.Database(t))
	if _, err := db.Exec(`INSERT INTO users (id, state) VALUES ('u1', 'active')`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
		VALUES ($1, $2, $3, 'cn', 'upn', $4, 'olivia', 'wf')`
	if got := constraint(t, db, insert, "00000000-0000-0000-0000-000000000001", "u1", "standard", "printed"); got != "cards_state_check" {
		t.Fatalf("state printed: %q, want the CHECK to refuse it", got)
	}
	if got := constraint(t, db, insert, "00000000-0000-0000-0000-000000000002", "ghost", "standard", "requested"); got != "cards_user_id_fkey" {
		t.Fatalf("unknown user: %q, want the foreign key to refuse it", got)
	}
	for i, state := range []string{"requested", "approved", "approved"} {
		if got := constraint(t, db, insert, "00000000-0000-0000-0000-00000000001"+string(rune('0'+i)), "u1", "standard", state); got != "" {
			t.Fatalf("card %d (%s) refused: %s", i, state, got)
		}
	}
	if got := constraint(t, db, insert, "00000000-0000-0000-0000-000000000020", "u1", "standard", "requested"); got != "cards_one_open_request" {
		t.Fatalf("second open request: %q, want the partial unique index to refuse it", got)
	}
	if got := constraint(t, db, insert, "00000000-0000-0000-0000-000000000021", "u1", "visitor", "requested"); got != "" {
		t.Fatalf("open request of another type refused: %s", got)
	}
	if _, err := db.Exec(`INSERT INTO card_events (card_id, at, actor, to_state) VALUES ('00000000-0000-0000-0000-000000000010', now(), 'olivia', 'requested')`); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE card_events SET actor = 'mallory'`, `DELETE FROM card_events`} {
		if got := constraint(t, db, stmt); !strings.Contains(got, "append-only") {
			t.Fatalf("%s: %q, want the audit trail to refuse it", stmt, got)
		}
	}
}

func TestListQueriesUseAnIndex(t *testing.T) {
	db := testkit.Open(t, testkit.Database(t))
	// Without statistics the planner may prefer a scan of a tiny table; turn
	// scans off to ask whether an index can serve the query at all.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT id FROM cards WHERE state = 'requested' AND user_id = 'u1' ORDER BY created_at DESC LIMIT 50`,
		`SELECT id FROM cards WHERE user_id = 'u1' ORDER BY created_at DESC LIMIT 50`,
		`SELECT id FROM cards WHERE state = 'requested' ORDER BY created_at DESC LIMIT 50`,
	} {
		var plan strings.Builder
		rows, err := conn.QueryContext(context.Background(), "EXPLAIN "+q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "Index") {
			t.Errorf("%s\nis not served by an index:\n%s", q, plan.String())
		}
	}
}

// The eleven states of the lifecycle (LIFECYCLE.md) are the ones the
// CHECK allows; a chip UID is on one card only; a certificate's status is
// hold, good or revoked; an idempotency token appears once per card.
func TestTheLifecycleRules(t *testing.T) {
	db := testkit.Open(t, testkit.Database(t))
	if _, err := db.Exec(`INSERT INTO users (id, state) VALUES ('u1', 'active')`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, chip_uid)
		VALUES ($1, 'u1', 'standard', 'cn', 'upn', $2, 'olivia', 'wf', $3)`
	states := []string{"registered", "requested", "approved", "rejected", "aborted", "failed", "issued", "active", "inactive", "locked", "expired"}
	for i, state := range states {
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1)
		if got := constraint(t, db, insert, id, state, nil); got != "" {
			t.Fatalf("state %s refused: %s", state, got)
		}
	}
	if _, err := db.Exec(`UPDATE cards SET chip_uid = '04aa' WHERE id = '00000000-0000-0000-0000-000000000007'`); err != nil {
		t.Fatal(err)
	}
	if got := constraint(t, db, insert, "00000000-0000-0000-0000-000000000100", "issued", "04aa"); got != "cards_chip_uid_unique" {
		t.Fatalf("a chip on two cards: %q, want cards_chip_uid_unique", got)
	}
	cert := `INSERT INTO card_certificates (card_id, usage, generation, serial, status) VALUES ('00000000-0000-0000-0000-000000000007', $1, 1, $2, $3)`
	if got := constraint(t, db, cert, "signing", "1", "suspended"); got != "card_certificates_status_check" {
		t.Fatalf("status suspended: %q", got)
	}
	if got := constraint(t, db, cert, "signing", "1", "hold"); got != "" {
		t.Fatalf("a held certificate refused: %s", got)
	}
	if got := constraint(t, db, cert, "authentication", "1", "hold"); got != "card_certificates_serial_unique" {
		t.Fatalf("a serial twice: %q", got)
	}
	event := `INSERT INTO card_events (card_id, at, actor, to_state, event, write_token) VALUES ('00000000-0000-0000-0000-000000000007', now(), 'olivia', 'issued', 'issue', $1)`
	if got := constraint(t, db, event, "issue/1"); got != "" {
		t.Fatal(got)
	}
	if got := constraint(t, db, event, "issue/1"); got != "card_events_write_token" {
		t.Fatalf("a token twice: %q", got)
	}
}
