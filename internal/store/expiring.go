package store

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// expirableStates is the predicate of the cards_expiry partial index,
// written out as in the migration: the planner uses a partial index only
// when the query's WHERE implies the index's, which a literal list proves
// and a parameter would not.
const expirableStates = `state IN ('issued', 'active', 'inactive')`

// expiryCursorPrefix marks a cursor of the expiring list, so that a cursor
// of the newest-first list (or the reverse) is refused as ErrBadCursor
// rather than read as a position in the other order.
const expiryCursorPrefix = "valid_until:"

func (f PageFilter) expiring() bool { return !f.ExpiringBefore.IsZero() }

// expiringPageQuery is the statement of one page of the expiring list:
// cards that can expire with valid_until before f.ExpiringBefore, soonest
// first. valid_until IS NOT NULL is implied by the comparison. cards_expiry
// is on (valid_until, id) since migration 00014 (the expiry sweep's keyset),
// so the scan starts at the cursor and reads the rows in the page's order.
func expiringPageQuery(f PageFilter) (string, []any, error) {
	t := pageTerms{where: []string{expirableStates}}
	t.add("valid_until < $%d", f.ExpiringBefore)
	t.filters(f)
	if f.After != "" {
		at, id, err := decodeExpiryCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		t.after("(valid_until, id) > ($%d, $%d)", at, id)
	}
	t.args = append(t.args, f.Limit+1)
	query := `SELECT ` + cardColumns + ` FROM cards WHERE ` + strings.Join(t.where, " AND ") +
		fmt.Sprintf(" ORDER BY valid_until, id LIMIT $%d", len(t.args))
	return query, t.args, nil
}

func encodeExpiryCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(expiryCursorPrefix + at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeExpiryCursor(cursor string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), expiryCursorPrefix)
	if !ok {
		return time.Time{}, "", ErrBadCursor
	}
	at, id, ok := strings.Cut(rest, "|")
	if !ok {
		return time.Time{}, "", ErrBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	// id is compared to a uuid column: anything else would be an SQL
	// error instead of the page link's plain message.
	if _, err := uuid.Parse(id); err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	return t, id, nil
}
