package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

const userColumns = `u.id, u.given_name, u.surname, u.upn, u.email, u.state,
	COALESCE((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles`

// userRow is a user with its roles aggregated into one column, so that a
// user and its roles are read in one statement.
type userRow struct {
	cards.User
	Roles pq.StringArray `db:"roles"`
}

func (r userRow) user() cards.User {
	u := r.User
	u.Roles = []string(r.Roles)
	if len(u.Roles) == 0 {
		u.Roles = nil
	}
	return u
}

// Users returns the users with the given ids that exist, with their roles,
// in one statement. Ids that are not in the directory are absent from the map.
func (s *Store) Users(ctx context.Context, ids ...string) (map[string]cards.User, error) {
	s.reads.Add(1)
	var rows []userRow
	err := s.selectPrepared(ctx, &rows, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read users %s: %w", strings.Join(ids, ", "), err)
	}
	out := make(map[string]cards.User, len(rows))
	for _, r := range rows {
		out[r.ID] = r.user()
	}
	return out, nil
}

// UsersWithRole returns the active users holding role, ordered by id: the
// people who may approve a card type.
func (s *Store) UsersWithRole(ctx context.Context, role string) ([]cards.User, error) {
	s.reads.Add(1)
	var rows []userRow
	err := s.selectPrepared(ctx, &rows, `SELECT `+userColumns+` FROM users u
		WHERE u.state = 'active' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $1)
		ORDER BY u.id`, role)
	if err != nil {
		return nil, fmt.Errorf("read users with role %s: %w", role, err)
	}
	out := make([]cards.User, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.user())
	}
	return out, nil
}

// ApproversAndUsers reads, in one statement, the active users holding role
// (ordered by id) and the users with the given ids (those that exist): the
// recipients of an approval e-mail and the people its text names.
func (s *Store) ApproversAndUsers(ctx context.Context, role string, ids ...string) ([]cards.User, map[string]cards.User, error) {
	s.reads.Add(1)
	var rows []struct {
		userRow
		Holds bool `db:"holds"`
	}
	err := s.selectPrepared(ctx, &rows, `SELECT `+userColumns+`,
			u.state = 'active' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $1) AS holds
		FROM users u
		WHERE u.id = ANY($2)
			OR (u.state = 'active' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $1))
		ORDER BY u.id`, role, pq.Array(ids))
	if err != nil {
		return nil, nil, fmt.Errorf("read users with role %s and users %s: %w", role, strings.Join(ids, ", "), err)
	}
	approvers := make([]cards.User, 0, len(rows))
	named := make(map[string]cards.User, len(ids))
	for _, r := range rows {
		u := r.user()
		if r.Holds {
			approvers = append(approvers, u)
		}
		if slices.Contains(ids, u.ID) {
			named[u.ID] = u
		}
	}
	return approvers, named, nil
}

// UpsertUserWithRoles creates or replaces a user and replaces its set of
// roles, in one transaction: nobody ever sees the user with half its roles.
func (s *Store) UpsertUserWithRoles(ctx context.Context, u cards.User) error {
	roles := NormalizeRoles(u.Roles)
	for _, r := range roles {
		if r == "" {
			return fmt.Errorf("upsert user %s: a role must not be empty", u.ID)
		}
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("upsert user %s: %w", u.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.NamedExecContext(ctx, upsertUserSQL, u); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("upsert user %s: %w", u.ID, s.emailTaken(ctx, u.ID, u.Email, err))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1 AND NOT (role = ANY($2))`, u.ID, pq.Array(roles)); err != nil {
		return fmt.Errorf("set roles of %s: %w", u.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, u.ID, pq.Array(roles)); err != nil {
		return fmt.Errorf("set roles of %s: %w", u.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("upsert user %s: %w", u.ID, err)
	}
	s.writes.Add(1)
	return nil
}

// NormalizeRoles trims, sorts and deduplicates a set of roles, the form in
// which the directory stores them.
func NormalizeRoles(roles []string) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, strings.TrimSpace(r))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
