package schema

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// grantsSQL is written for psql (`psql -v role=NAME -f schema/grants.sql`),
// so that operators who apply SQL by hand run the very text the worker runs.
//
//go:embed grants.sql
var grantsSQL string

// rolePlaceholder is psql's quoted-identifier variable syntax.
const rolePlaceholder = `:"role"`

// GrantsFor returns the grant statements for role, quoted so that any role
// name is safe, for printing (`worker grants`) or for Grant to run.
func GrantsFor(role string) (string, error) {
	if strings.TrimSpace(role) == "" {
		return "", errors.New("grants: the role name is empty: name the login role the worker, the starter and the console use in DATABASE_URL")
	}
	return strings.ReplaceAll(grantsSQL, rolePlaceholder, pq.QuoteIdentifier(role)), nil
}

// Grant gives role the privileges the worker, the starter and the console
// need, in one transaction; running it again changes nothing. It must run as
// the tables' owner: PostgreSQL answers a GRANT from anyone else with a mere
// warning and grants nothing, so Grant turns such warnings into an error instead of
// reporting a success that did not happen.
func Grant(ctx context.Context, db *sql.DB, role string) error {
	statements, err := GrantsFor(role)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("grant to %s: %w", role, err)
	}
	defer conn.Close()
	if err := checkGrantee(ctx, conn, role); err != nil {
		return err
	}

	// The handler runs synchronously while the statements run, on this
	// connection only.
	var warnings []string
	setNotices := func(h func(*pq.Error)) error {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(driver.Conn)
			if !ok {
				return fmt.Errorf("grant to %s: not a PostgreSQL connection", role)
			}
			pq.SetNoticeHandler(c, h)
			return nil
		})
	}
	if err := setNotices(func(n *pq.Error) {
		if n.Severity == "WARNING" {
			warnings = append(warnings, n.Message)
		}
	}); err != nil {
		return err
	}
	defer func() { _ = setNotices(nil) }()

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("grant to %s: %w", role, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, statements); err != nil {
		return fmt.Errorf("grant to %s: %w (run the grants as the role that ran the migrations, the tables' owner)", role, err)
	}
	if len(warnings) > 0 {
		more := ""
		if len(warnings) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(warnings)-1)
		}
		return fmt.Errorf("grant to %s: PostgreSQL granted nothing: %s%s: run the grants as the role that ran the migrations, the tables' owner", role, warnings[0], more)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("grant to %s: %w", role, err)
	}
	return nil
}

// checkGrantee refuses roles for which the grants would mean nothing: one
// that does not exist, the tables' owner, and a superuser, both of which
// bypass the privileges, so that nobody believes they run least-privileged
// when they do not.
func checkGrantee(ctx context.Context, conn *sql.Conn, role string) error {
	var exists, superuser, isCurrent bool
	err := conn.QueryRowContext(ctx, `
		SELECT count(*) > 0, coalesce(bool_or(rolsuper), false), coalesce(bool_or(rolname = current_user), false)
		FROM pg_roles WHERE rolname = $1`, role).Scan(&exists, &superuser, &isCurrent)
	if err != nil {
		return fmt.Errorf("grant to %s: look up the role: %w", role, err)
	}
	switch {
	case !exists:
		return fmt.Errorf("grant to %s: role %s does not exist: create it first (CREATE ROLE %s LOGIN PASSWORD '...'), then grant", role, role, pq.QuoteIdentifier(role))
	case isCurrent:
		return fmt.Errorf("grant to %s: that is the role running the migrations, which owns the tables and may do anything with them: give the worker, the starter and the console a separate login role", role)
	case superuser:
		return fmt.Errorf("grant to %s: it is a superuser and bypasses every privilege: give the worker, the starter and the console an ordinary login role", role)
	}
	return nil
}
