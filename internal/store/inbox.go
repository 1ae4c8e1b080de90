package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InboxItem is one open approval a person may decide, with what the Inbox
// shows of its card.
type InboxItem struct {
	Approval
	CommonName string `db:"common_name"`
	UserID     string `db:"user_id"`
	CardState  string `db:"card_state"`
	// PostponedByYou is set when the person postponed it (the Inbox marks
	// it "Postponed by you" with the comment).
	PostponedByYou *Postponement `db:"-"`
}

// InboxCursor is where a page of the Inbox ends: the next page starts
// after it. The zero cursor is the first page.
type InboxCursor struct {
	CreatedAt time.Time
	ID        int64
}

// String encodes the cursor for a URL or a command line ("" for the first page).
func (c InboxCursor) String() string {
	if c.ID == 0 {
		return ""
	}
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseInboxCursor reads what String wrote; "" is the first page.
func ParseInboxCursor(s string) (InboxCursor, error) {
	if s == "" {
		return InboxCursor{}, nil
	}
	at, id, ok := strings.Cut(s, "-")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return InboxCursor{}, fmt.Errorf("not an Inbox page: %q", s)
	}
	return InboxCursor{CreatedAt: time.UnixMicro(micros), ID: n}, nil
}

// Inbox returns up to limit open approvals of every operation that
// userID may decide, newest first, after the cursor, and the cursor of the
// next page (zero when there is none). It is one query over the partial
// index approvals_inbox: the approver role held now (user_roles), an active
// user, neither the requester nor the card's holder, not approved by them
// yet. The callers apply approvalrules.MayDecide on top (the one rule set);
// this query is its index-friendly shape.
func (s *Store) Inbox(ctx context.Context, userID string, after InboxCursor, limit int) ([]InboxItem, InboxCursor, error) {
	s.reads.Add(1)
	if limit <= 0 {
		limit = 50
	}
	if after.ID == 0 {
		after = InboxCursor{CreatedAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ID: 1 << 62}
	}
	var rows []struct {
		InboxItem
		Mine []byte `db:"mine"`
	}
	// One row more than asked tells whether there is a next page.
	// Per role the person holds, an ordered scan of the partial index
	// approvals_inbox that stops after the page (LATERAL ... LIMIT); the
	// roles' pages are merged. The cards are read by primary key for the
	// page's rows only.
	err := s.DB.SelectContext(ctx, &rows, `
		SELECT `+prefixed("a.", approvalColumns)+`, c.common_name, c.user_id, c.state AS card_state, (a.postponed -> $1::text)::text AS mine
		FROM (SELECT DISTINCT r.role FROM user_roles r JOIN users u ON u.id = r.user_id
		      WHERE r.user_id = $1 AND u.state = 'active') roles
		CROSS JOIN LATERAL (
			SELECT * FROM approvals a
			WHERE a.state = 'open' AND a.approver_role = roles.role
			  AND (a.created_at, a.id) < ($2, $3)
			  AND a.requested_by <> $1 AND a.holder_id <> $1
			  AND NOT ($1 = ANY (a.approved_by))
			ORDER BY a.created_at DESC, a.id DESC
			LIMIT $4) a
		JOIN cards c ON c.id = a.card_id
		ORDER BY a.created_at DESC, a.id DESC
		LIMIT $4`, userID, after.CreatedAt, after.ID, limit+1)
	if err != nil {
		return nil, InboxCursor{}, fmt.Errorf("inbox of %s: %w", userID, err)
	}
	var next InboxCursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = InboxCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	out := make([]InboxItem, 0, len(rows))
	for _, r := range rows {
		item := r.InboxItem
		if len(r.Mine) > 0 {
			var p Postponements
			if err := p.Scan([]byte(`{"x":` + string(r.Mine) + `}`)); err == nil {
				pp := p["x"]
				item.PostponedByYou = &pp
			}
		}
		out = append(out, item)
	}
	return out, next, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}
