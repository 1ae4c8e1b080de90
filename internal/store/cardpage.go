package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// PageFilter selects one page of cards for the console's Cards page.
type PageFilter struct {
	State    cards.State
	UserID   string
	CardType string
	// ExpiringBefore, when set, lists instead the cards that can still
	// expire (issued, active, inactive) whose valid_until is before it,
	// already past ones included (the sweep has not reached them yet),
	// soonest first: the Cards page's "Expiring within N days". Such a
	// page is keyset-paged on (valid_until, id) through the cards_expiry
	// partial index, and its cursor is not one of the newest-first list.
	ExpiringBefore time.Time
	// After is the cursor of the previous page's last card ("" for the
	// first page); see CardPage.Next.
	After string
	Limit int
}

// CardPage is one page of cards, newest first (soonest to expire first
// with PageFilter.ExpiringBefore).
type CardPage struct {
	Cards []Card
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// ListCardsPage returns a page of cards newest first, by keyset (created_at,
// id) rather than OFFSET, so page 500 costs what page 1 costs; the indexes on
// (state, user_id, created_at), (user_id, created_at), (card_type,
// created_at) and (created_at, id) serve each filter.
func (s *Store) ListCardsPage(ctx context.Context, f PageFilter) (CardPage, error) {
	s.reads.Add(1)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 25
	}
	query, args, err := cardPageQuery(f)
	if err != nil {
		return CardPage{}, err
	}
	var rows []Card
	if err := s.DB.SelectContext(ctx, &rows, query, args...); err != nil {
		return CardPage{}, fmt.Errorf("list cards: %w", err)
	}
	page := CardPage{Cards: rows}
	if len(rows) > f.Limit {
		page.Cards = rows[:f.Limit]
		last := page.Cards[f.Limit-1]
		if f.expiring() {
			page.Next = encodeExpiryCursor(*last.ValidUntil, last.ID)
		} else {
			page.Next = encodeCursor(last.CreatedAt, last.ID)
		}
	}
	return page, nil
}

// cardPageQuery is the statement of one page: only the filters given become
// predicates, so the planner sees plain equalities and picks the matching
// index; one row more than the page tells whether another page follows.
func cardPageQuery(f PageFilter) (string, []any, error) {
	if f.expiring() {
		return expiringPageQuery(f)
	}
	var t pageTerms
	t.filters(f)
	if f.After != "" {
		at, id, err := decodeCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		t.after("(created_at, id) < ($%d, $%d)", at, id)
	}
	query := `SELECT ` + cardColumns + ` FROM cards`
	if len(t.where) > 0 {
		query += " WHERE " + strings.Join(t.where, " AND ")
	}
	t.args = append(t.args, f.Limit+1)
	query += fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT $%d", len(t.args))
	return query, t.args, nil
}

// pageTerms are a page query's predicates and their numbered arguments.
type pageTerms struct {
	where []string
	args  []any
}

// add appends cond, whose %d is v's argument number.
func (t *pageTerms) add(cond string, v any) {
	t.args = append(t.args, v)
	t.where = append(t.where, fmt.Sprintf(cond, len(t.args)))
}

// after appends the keyset condition cond on the cursor's (at, id).
func (t *pageTerms) after(cond string, at time.Time, id string) {
	t.args = append(t.args, at, id)
	t.where = append(t.where, fmt.Sprintf(cond, len(t.args)-1, len(t.args)))
}

// filters appends the state, user and card-type filters that are given.
func (t *pageTerms) filters(f PageFilter) {
	if f.State != "" {
		t.add("state = $%d", string(f.State))
	}
	if f.UserID != "" {
		t.add("user_id = $%d", f.UserID)
	}
	if f.CardType != "" {
		t.add("card_type = $%d", f.CardType)
	}
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// ErrBadCursor is returned for a page cursor that ListCardsPage did not make.
var ErrBadCursor = fmt.Errorf("the page link is not valid; start again from the first page")

func decodeCursor(cursor string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return time.Time{}, "", ErrBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || id == "" {
		return time.Time{}, "", ErrBadCursor
	}
	return t, id, nil
}
