package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// Privilege is one thing the worker's statements do to one table or
// sequence, in GRANT's words.
type Privilege struct {
	// Privilege is SELECT, INSERT, UPDATE, DELETE (tables) or USAGE
	// (sequences).
	Privilege string
	// Columns, for an UPDATE, are the only columns the worker changes:
	// that is all grants.sql grants.
	Columns []string
	// Sequence says Object is a sequence, not a table.
	Sequence bool
	// Object is the table or sequence.
	Object string
}

// Grant is the privilege as GRANT writes it: "INSERT", "UPDATE (state,
// updated_at)".
func (p Privilege) Grant() string {
	if len(p.Columns) == 0 {
		return p.Privilege
	}
	return p.Privilege + " (" + strings.Join(p.Columns, ", ") + ")"
}

// String reads like the GRANT that gives it: "INSERT on notifications",
// "USAGE on sequence card_events_id_seq".
func (p Privilege) String() string {
	on := p.Object
	if p.Sequence {
		on = "sequence " + on
	}
	return p.Grant() + " on " + on
}

// WorkerPrivileges is every privilege the worker's statements need (its
// activities and its e-mail outbox dispatcher): the worker checks them at
// start, a permission denied error is traced back to them, and
// schema/grants_test.go checks that grants.sql grants each. The starter's
// directory writes and the console's sessions are not the worker's.
var WorkerPrivileges = []Privilege{
	{Privilege: "SELECT", Object: "goose_db_version"},
	{Privilege: "SELECT", Object: "users"},
	{Privilege: "SELECT", Object: "user_roles"},
	{Privilege: "SELECT", Object: "cards"},
	{Privilege: "INSERT", Object: "cards"},
	{Privilege: "UPDATE", Object: "cards", Columns: []string{"state", "updated_at"}},
	// Producing a card gives it its number (store.AssignCardNumber).
	{Privilege: "UPDATE", Object: "cards", Columns: []string{"card_number"}},
	// Issue card and Activate card (store.Move, store.BeginProduction).
	{Privilege: "UPDATE", Object: "cards", Columns: []string{"write_token", "valid_until", "production_generation", "production_run", "station", "chip_uid", "production_cancelled"}},
	{Privilege: "SELECT", Object: "card_certificates"},
	{Privilege: "INSERT", Object: "card_certificates"},
	{Privilege: "UPDATE", Object: "card_certificates", Columns: []string{"serial", "status", "reason", "not_after", "pem", "updated_at"}},
	{Privilege: "SELECT", Object: "card_number_ranges"},
	{Privilege: "INSERT", Object: "card_number_ranges"},
	{Privilege: "UPDATE", Object: "card_number_ranges"},
	{Privilege: "SELECT", Object: "card_approvals"},
	{Privilege: "INSERT", Object: "card_approvals"},
	// The shared approval process: a row per approval, opened, voted on
	// (approved_by, postponed) and closed (store.OpenApproval, RecordVote,
	// CloseApproval).
	{Privilege: "SELECT", Object: "approvals"},
	{Privilege: "INSERT", Object: "approvals"},
	{Privilege: "UPDATE", Object: "approvals", Columns: []string{"approved_by", "postponed", "state", "closed_at"}},
	{Privilege: "USAGE", Object: "approvals_id_seq", Sequence: true},
	{Privilege: "SELECT", Object: "card_events"},
	{Privilege: "INSERT", Object: "card_events"},
	{Privilege: "USAGE", Object: "card_events_id_seq", Sequence: true},
	{Privilege: "SELECT", Object: "notifications"},
	{Privilege: "INSERT", Object: "notifications"},
	{Privilege: "UPDATE", Object: "notifications", Columns: []string{"status", "email", "error", "attempts", "at"}},
	{Privilege: "SELECT", Object: "notification_outbox"},
	{Privilege: "INSERT", Object: "notification_outbox"},
	{Privilege: "DELETE", Object: "notification_outbox"},
	{Privilege: "UPDATE", Object: "notification_outbox", Columns: []string{"due_at", "attempts", "last_error"}},
	// A card's sealed PIN and PUK: written once, read to deliver the PIN,
	// the PIN deleted once delivered (store.SaveSecrets, DeletePIN).
	{Privilege: "SELECT", Object: "card_secrets"},
	{Privilege: "INSERT", Object: "card_secrets"},
	{Privilege: "DELETE", Object: "card_secrets"},
	// Where each PIN went, recorded once (store.RecordPINDelivery).
	{Privilege: "SELECT", Object: "pin_deliveries"},
	{Privilege: "INSERT", Object: "pin_deliveries"},
	// Expiry reminders, one per card and mark, written once by the sweep
	// (store.SweepExpiry).
	{Privilege: "SELECT", Object: "card_reminders"},
	{Privilege: "INSERT", Object: "card_reminders"},
	// Batch orders (the Order workflow): an order and its items written
	// once, then their states, reasons and counts as items end.
	{Privilege: "SELECT", Object: "orders"},
	{Privilege: "INSERT", Object: "orders"},
	{Privilege: "UPDATE", Object: "orders", Columns: []string{"state", "updated_at", "round", "station", "total", "done", "failed", "skipped", "running"}},
	{Privilege: "SELECT", Object: "order_items"},
	{Privilege: "INSERT", Object: "order_items"},
	{Privilege: "UPDATE", Object: "order_items", Columns: []string{"state", "reason", "round", "updated_at"}},
}

// GrantCommand is how an operator gives the worker's role its privileges;
// it is named in every message about a missing one.
const GrantCommand = "`worker migrate --grant-to ROLE` as the tables' owner (or `psql -v role=ROLE -f schema/grants.sql`)"

// MissingPrivileges returns those of privs the connected role lacks, in
// their order, asking PostgreSQL (has_table_privilege and friends, which
// count grants to PUBLIC and to roles it belongs to). A privilege on an
// object that does not exist is not missing: the schema check reports an
// old schema.
func MissingPrivileges(ctx context.Context, db *sql.DB, privs []Privilege) ([]Privilege, error) {
	var missing []Privilege
	for _, p := range privs {
		held, err := holds(ctx, db, p)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", p, err)
		}
		if !held {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// holds asks PostgreSQL whether the connected role holds p: an UPDATE on
// columns needs every one of them.
func holds(ctx context.Context, db *sql.DB, p Privilege) (bool, error) {
	var held sql.NullBool
	var err error
	switch {
	case p.Sequence:
		err = db.QueryRowContext(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE has_sequence_privilege($1, $2) END`,
			p.Object, p.Privilege).Scan(&held)
	case len(p.Columns) > 0:
		// The CASE sits inside the aggregate: PostgreSQL computes an
		// aggregate before a CASE around it, so a CASE outside would not
		// keep a missing table from being looked up.
		err = db.QueryRowContext(ctx, `SELECT bool_and(CASE WHEN to_regclass($1) IS NULL THEN NULL
			ELSE has_column_privilege($1, c, $2) END)
			FROM unnest($3::text[]) AS c`, p.Object, p.Privilege, pq.Array(p.Columns)).Scan(&held)
	default:
		err = db.QueryRowContext(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE has_table_privilege($1, $2) END`,
			p.Object, p.Privilege).Scan(&held)
	}
	if err != nil {
		return false, err
	}
	return held.Bool || !held.Valid, nil
}

// ErrMissingPrivileges names every privilege the worker's role lacks and
// how to grant them.
type ErrMissingPrivileges struct {
	Role    string
	Missing []Privilege
}

func (e *ErrMissingPrivileges) Error() string {
	names := make([]string, 0, len(e.Missing))
	for _, p := range e.Missing {
		names = append(names, p.String())
	}
	return fmt.Sprintf("database role %s lacks privileges the worker needs: %s: grant them with %s",
		e.Role, strings.Join(names, "; "), strings.ReplaceAll(GrantCommand, "ROLE", e.Role))
}

// CheckPrivileges refuses a role that lacks any of WorkerPrivileges, naming
// each, so that a missing grant stops the worker at start rather than
// failing activities one by one.
func CheckPrivileges(ctx context.Context, db *sql.DB) error {
	missing, err := MissingPrivileges(ctx, db, WorkerPrivileges)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	var role string
	if err := db.QueryRowContext(ctx, `SELECT current_user`).Scan(&role); err != nil {
		return fmt.Errorf("read the role's name: %w", err)
	}
	return &ErrMissingPrivileges{Role: role, Missing: missing}
}

// MissingOn returns, in GRANT's words, the privileges among
// WorkerPrivileges the connected role lacks on one table (sequence false)
// or sequence: which privilege a "permission denied for table X" was about.
func MissingOn(ctx context.Context, db *sql.DB, object string, sequence bool) ([]string, error) {
	var on []Privilege
	for _, p := range WorkerPrivileges {
		if p.Object == object && p.Sequence == sequence {
			on = append(on, p)
		}
	}
	missing, err := MissingPrivileges(ctx, db, on)
	if err != nil {
		return nil, err
	}
	grants := make([]string, 0, len(missing))
	for _, p := range missing {
		grants = append(grants, p.Grant())
	}
	return grants, nil
}
