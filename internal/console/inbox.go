package console

import (
	"net/http"

	"github.com/cardflow/cardflow/internal/inbox"
	"github.com/cardflow/cardflow/internal/store"
)

// inboxPage is one page of the open approvals the signed-in user may
// decide, of every operation (request, deactivation, reactivation, lock),
// newest first: one indexed query (internal/inbox), however many wait.
type inboxPage struct {
	Items []store.InboxItem
	// Next is the cursor of the next page ("" on the last); First says
	// this is not the first page.
	Next  string
	First bool
}

func (inboxPage) pageTitle() string { return "Inbox" }

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	after := r.URL.Query().Get("after")
	page, err := inbox.List(r.Context(), s.Store, currentUser(r).ID, after, inbox.PageSize)
	if err != nil {
		if _, bad := store.ParseInboxCursor(after); bad != nil {
			s.failure(w, r, http.StatusBadRequest, "That is not a page of the Inbox", err)
			return
		}
		s.failure(w, r, http.StatusServiceUnavailable, "The approvals (PostgreSQL) did not answer", err)
		return
	}
	s.render(w, r, http.StatusOK, "inbox", inboxPage{Items: page.Items, Next: page.Next, First: after == ""})
}
