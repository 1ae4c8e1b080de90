package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cardflow/cardflow/internal/cards"
)

// UserByEmail returns the directory user whose e-mail address is email,
// ignoring case, or ErrNoRows. The console signs people in by the address
// their identity provider vouches for; two users sharing an address is a
// directory error that signs neither in.
func (s *Store) UserByEmail(ctx context.Context, email string) (cards.User, error) {
	s.reads.Add(1)
	var rows []userRow
	err := s.DB.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users u WHERE lower(u.email) = lower($1) LIMIT 2`, strings.TrimSpace(email))
	if err != nil {
		return cards.User{}, fmt.Errorf("find user by e-mail: %w", err)
	}
	switch len(rows) {
	case 0:
		return cards.User{}, ErrNoRows
	case 1:
		return rows[0].user(), nil
	}
	return cards.User{}, fmt.Errorf("more than one directory user has the e-mail address %q: %w", email, ErrAmbiguous)
}

// ErrAmbiguous is returned when a lookup that must find one row finds several.
var ErrAmbiguous = errors.New("ambiguous")

// SearchUsers finds directory users by id or name for the console's Request
// card page: an exact id first, then ids starting with query, then names
// ("Ada", "Lovelace", "Ada Lov") containing it, ignoring case; at most limit.
func (s *Store) SearchUsers(ctx context.Context, query string, limit int) ([]cards.User, error) {
	s.reads.Add(1)
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 20
	}
	like := "%" + escapeLike(strings.ToLower(query)) + "%"
	prefix := escapeLike(strings.ToLower(query)) + "%"
	var rows []userRow
	err := s.DB.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users u
		WHERE lower(u.id) LIKE $2 OR lower(u.given_name || ' ' || u.surname) LIKE $3 OR lower(u.surname || ' ' || u.given_name) LIKE $3
		ORDER BY (lower(u.id) = lower($1)) DESC, (lower(u.id) LIKE $2) DESC, u.surname, u.given_name, u.id
		LIMIT $4`, query, prefix, like, limit)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("search users %q: %w", query, err)
	}
	out := make([]cards.User, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.user())
	}
	return out, nil
}

// escapeLike makes a user's text match itself in LIKE: % and _ are literal.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
