package schema_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// The start-up check takes an object that does not exist for the schema
// check's business, so a misspelt name in the list would never be checked:
// every object and column it names must exist.
func TestWorkerPrivilegesNameObjectsTheMigrationsCreate(t *testing.T) {
	db := testkit.Open(t, testkit.Database(t))
	for _, p := range schema.WorkerPrivileges {
		kind := "r"
		if p.Sequence {
			kind = "S"
		}
		var found bool
		if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind = $2)`, p.Object, kind).Scan(&found); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Errorf("%s: no such %s", p, map[string]string{"r": "table", "S": "sequence"}[kind])
		}
		for _, col := range p.Columns {
			if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2)`, p.Object, col).Scan(&found); err != nil {
				t.Fatal(err)
			}
			if !found {
				t.Errorf("%s: no column %s", p, col)
			}
		}
	}
}

// grants.sql gives the worker every privilege the start-up check asks for,
// and the tables' owner passes the check too (tests and small setups run
// the worker as the owner).
func TestGrantedRolePassesTheWorkersPrivilegeCheck(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	owner := testkit.Open(t, ownerURL)
	if err := schema.CheckPrivileges(ctx, owner); err != nil {
		t.Fatalf("as the owner: %v", err)
	}
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, owner, role); err != nil {
		t.Fatal(err)
	}
	if err := schema.CheckPrivileges(ctx, testkit.Open(t, roleURL)); err != nil {
		t.Fatalf("as %s after grants.sql: %v", role, err)
	}
}

// A role missing some privileges is refused at start with each of them
// named and the command that grants them.
func TestPrivilegeCheckNamesEachMissingPrivilege(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	owner := testkit.Open(t, ownerURL)
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, owner, role); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`REVOKE INSERT ON notifications FROM ` + role,
		`REVOKE UPDATE (attempts) ON notification_outbox FROM ` + role,
		`REVOKE USAGE ON SEQUENCE card_events_id_seq FROM ` + role,
	} {
		if _, err := owner.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	app := testkit.Open(t, roleURL)
	err := schema.CheckPrivileges(ctx, app)
	var missing *schema.ErrMissingPrivileges
	if !errors.As(err, &missing) {
		t.Fatalf("check as %s: err = %v, want the missing privileges", role, err)
	}
	want := []string{
		"USAGE on sequence card_events_id_seq",
		"INSERT on notifications",
		"UPDATE (due_at, attempts, last_error) on notification_outbox",
	}
	var got []string
	for _, p := range missing.Missing {
		got = append(got, p.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("missing = %q, want %q", got, want)
	}
	for _, s := range append(want, "database role "+role+" lacks privileges the worker needs", "worker migrate --grant-to "+role, "schema/grants.sql") {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}

	// What a "permission denied for table notifications" was about.
	grants, err := schema.MissingOn(ctx, app, "notifications", false)
	if err != nil || !slices.Equal(grants, []string{"INSERT"}) {
		t.Fatalf("missing on notifications = %q, %v; want INSERT", grants, err)
	}
	if grants, err = schema.MissingOn(ctx, app, "card_events_id_seq", true); err != nil || !slices.Equal(grants, []string{"USAGE"}) {
		t.Fatalf("missing on card_events_id_seq = %q, %v; want USAGE", grants, err)
	}
	if grants, err = schema.MissingOn(ctx, app, "cards", false); err != nil || len(grants) != 0 {
		t.Fatalf("missing on cards = %q, %v; want nothing", grants, err)
	}

	// With no privileges at all, every one is named (the schema version's
	// first, which the schema check would otherwise trip over).
	bare, bareURL := testkit.Role(t, ownerURL)
	err = schema.CheckPrivileges(ctx, testkit.Open(t, bareURL))
	if !errors.As(err, &missing) || len(missing.Missing) != len(schema.WorkerPrivileges) || missing.Role != bare ||
		!strings.Contains(err.Error(), "lacks privileges the worker needs: SELECT on goose_db_version; ") {
		t.Fatalf("check as %s with no grants: %v", bare, err)
	}
}

// An unmigrated database has none of the tables: the privilege check has
// nothing to say, so that the schema check can name the command that
// creates them.
func TestPrivilegeCheckLeavesAnUnmigratedDatabaseToTheSchemaCheck(t *testing.T) {
	db := testkit.Open(t, testkit.EmptyDatabase(t))
	if err := schema.CheckPrivileges(context.Background(), db); err != nil {
		t.Fatalf("privilege check on an empty database: %v", err)
	}
}
