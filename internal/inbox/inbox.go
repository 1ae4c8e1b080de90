// Package inbox is what the console's Inbox and `starter approvals` show:
// the open approvals of every operation a person may decide, newest first,
// a page at a time. One indexed query (store.Inbox) finds them; the one
// rule set (internal/approvalrules) then has the last word, so the list
// can never offer what a vote would be refused for.
package inbox

import (
	"context"

	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// PageSize is how many approvals a page shows.
const PageSize = 50

// Page is one page of a person's Inbox.
type Page struct {
	Items []store.InboxItem
	// Next is the cursor of the next page; empty on the last.
	Next string
}

// Reader is the part of the store the Inbox reads.
type Reader interface {
	Users(ctx context.Context, ids ...string) (map[string]cards.User, error)
	Inbox(ctx context.Context, userID string, after store.InboxCursor, limit int) ([]store.InboxItem, store.InboxCursor, error)
}

// List returns the page of userID's Inbox that starts after cursor ("" for
// the first page).
func List(ctx context.Context, st Reader, userID, cursor string, size int) (Page, error) {
	after, err := store.ParseInboxCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	if size <= 0 {
		size = PageSize
	}
	users, err := st.Users(ctx, userID)
	if err != nil {
		return Page{}, err
	}
	u, ok := users[userID]
	if !ok {
		return Page{}, nil
	}
	items, next, err := st.Inbox(ctx, userID, after, size)
	if err != nil {
		return Page{}, err
	}
	page := Page{Next: next.String(), Items: make([]store.InboxItem, 0, len(items))}
	for _, it := range items {
		if MayDecide(it, u) {
			page.Items = append(page.Items, it)
		}
	}
	return page, nil
}

// Case is an open approval as the rule set sees it.
func Case(it store.InboxItem) approvalrules.Case {
	return approvalrules.Case{Operation: it.Operation, RequestedBy: it.RequestedBy, HolderID: it.HolderID,
		CardType: it.CardType, ApproverRole: it.ApproverRole, Approved: it.ApprovedBy}
}

// MayDecide reports whether u may approve (or, having approved, still
// postpone) the approval.
func MayDecide(it store.InboxItem, u cards.User) bool {
	c := Case(it)
	return approvalrules.MayDecide(c, approvalrules.Approve, u) == nil
}
