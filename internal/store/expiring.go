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
	where := []string{expirableStates}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	add("valid_until < $%d", f.ExpiringBefore)
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if f.UserID != "" {
		add("user_id = $%d", f.UserID)
	}
	if f.CardType != "" {
		add("card_type = $%d", f.CardType)
	}
	if f.After != "" {
		at, id, err := decodeExpiryCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		args = append(args, at, id)
		where = append(where, fmt.Sprintf("(valid_until, id) > ($%d, $%d)", len(args)-1, len(args)))
	}
	args = append(args, f.Limit+1)
	query := `SELECT ` + cardColumns + ` FROM cards WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY valid_until, id LIMIT $%d", len(args))
	return query, args, nil
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
