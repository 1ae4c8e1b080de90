package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/inbox"
	"github.com/cardflow/cardflow/internal/store"
)

func TestInboxShowsOnlyWhatTheUserMayDecide(t *testing.T) {
	w := newWorld(t)
	forCarol := w.card("carol", "olivia", "standard")
	approvedByAlice := w.card("bob", "olivia", "visitor", "alice")
	forAlice := w.card("alice", "olivia", "standard")
	requestedByAlice := w.card("olivia", "alice", "standard")

	p := w.as("alice").get("/inbox")
	p.has(t, "/cards/"+forCarol, "0 of 2")
	p.lacks(t, "/cards/"+approvedByAlice, "/cards/"+forAlice, "/cards/"+requestedByAlice)

	p = w.as("bob").get("/inbox")
	p.has(t, "/cards/"+forCarol, "/cards/"+forAlice, "/cards/"+requestedByAlice)
	p.lacks(t, "/cards/"+approvedByAlice) // the card is for bob

	// Newest first.
	if i, j := strings.Index(p.body, requestedByAlice), strings.Index(p.body, forCarol); i > j {
		t.Error("the inbox is not newest first")
	}

	for _, who := range []string{"carol", "olivia"} {
		p = w.as(who).get("/inbox")
		p.has(t, "Nothing waits for your decision.")
		p.lacks(t, "/cards/"+forCarol)
	}
}

func TestInboxShowsTheNewestPageFirst(t *testing.T) {
	w := newWorld(t)
	var ids []string
	for _, person := range w.people(inbox.PageSize + 5) {
		ids = append(ids, w.card(person, "olivia", "standard"))
	}
	p := w.as("alice").get("/inbox")
	p.has(t, "/cards/"+ids[len(ids)-1], "/cards/"+ids[5], "Next page")
	p.lacks(t, "/cards/"+ids[4], "/cards/"+ids[0])
	if n := strings.Count(p.body, `<a href="/cards/`); n != inbox.PageSize {
		t.Errorf("inbox shows %d cards, want %d", n, inbox.PageSize)
	}
	// The next page holds the rest, and no further page.
	i := strings.Index(p.body, `/inbox?after=`)
	next := p.body[i : i+strings.Index(p.body[i:], `"`)]
	p = w.as("alice").get(strings.ReplaceAll(next, "&amp;", "&"))
	p.has(t, "/cards/"+ids[4], "/cards/"+ids[0])
	p.lacks(t, "/cards/"+ids[5], "Next page")
	if n := strings.Count(p.body, `<a href="/cards/`); n != 5 {
		t.Errorf("the second page shows %d cards, want 5", n)
	}
	w.as("alice").get("/inbox?after=garbage").has(t, "not a page of the Inbox")
}

func TestCardPageOffersOnlyTheUsersActions(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")

	p := w.as("alice").get("/cards/" + id)
	p.has(t, ">Approve</button>", ">Reject</button>", `for="reject-reason">Reason`, `for="approve-comment">Comment`, "User data", "Audit trail", "Carol", "hx-trigger=\"every 3s\"")
	p.lacks(t, "Cancel request")

	p = w.as("olivia").get("/cards/" + id)
	p.has(t, ">Cancel request</button>", "You requested this card")
	p.lacks(t, ">Approve</button>", ">Reject</button>")

	p = w.as("carol").get("/cards/" + id)
	p.has(t, "This card is for you")
	p.lacks(t, ">Approve</button>", ">Cancel request</button>")

	p = w.as("bob").get("/cards/not-a-card")
	if p.status != http.StatusNotFound {
		t.Errorf("bad id: %d", p.status)
	}
	p.has(t, "is not a card id")
}

func TestDecisionsGoToTheWorkflowAsTheSignedInUser(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")

	p := w.as("alice").post("/cards/"+id+"/approve", url.Values{"comment": {"  known to me "}, "actor": {"mallory"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/cards/"+id {
		t.Fatalf("approve: %d to %q", p.status, p.header.Get("Location"))
	}
	p = w.as("olivia").post("/cards/"+id+"/cancel", url.Values{"comment": {"not needed"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", p.status)
	}
	got := w.cards.decided()
	want := []fakeDecision{
		{CardID: id, Kind: cards.Approve, In: cards.DecisionInput{Actor: "alice", Comment: "known to me"}},
		{CardID: id, Kind: cards.Cancel, In: cards.DecisionInput{Actor: "olivia", Comment: "not needed"}},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("decisions %+v, want %+v", got, want)
	}
}

func TestWorkflowRefusalsAreShownInlineInPlainWords(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	for _, tc := range []struct {
		err    error
		kind   string
		form   url.Values
		status int
		words  string
	}{
		{temporal.NewApplicationError("a rejection needs a reason in the comment", cards.ErrInvalidDecision), "reject", url.Values{"reason": {""}}, http.StatusUnprocessableEntity, "Not sent:</strong> A rejection needs a reason: write it in Reason"},
		{temporal.NewApplicationError(`carol does not hold role "approver", which is required to approve standard cards`, cards.ErrNotAllowed), "approve", url.Values{"comment": {"please"}}, http.StatusForbidden, "Not allowed:</strong> Carol does not hold role"},
		{temporal.NewApplicationError("the card is already approved", cards.ErrAlreadyDecided), "approve", nil, http.StatusConflict, "Already decided:</strong> The card is already approved. Nothing was changed."},
		{errors.New("connection refused"), "approve", url.Values{"comment": {"kept"}}, http.StatusServiceUnavailable, "Temporal did not answer"},
	} {
		w.cards.err = tc.err
		p := w.as("alice").post("/cards/"+id+"/"+tc.kind, tc.form)
		if p.status != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, p.status, tc.status)
		}
		p.has(t, tc.words, `role="alert"`)
		if c := tc.form.Get("comment"); c != "" {
			p.has(t, ">"+c+"</textarea>") // what was typed is kept
		}
	}
}

func TestRequestCardSearchPreviewAndNext(t *testing.T) {
	w := newWorld(t)
	olivia := w.as("olivia")

	p := olivia.get("/request?q=cole")
	p.has(t, `<label for="q">User</label>`, "Carol Cole", "carol@example.com", `<label for="card_type">Card type</label>`, ">Next</button>", ">Cancel</a>")
	p.has(t, "<dt>Common name</dt><dd>Carol Cole</dd>", `href="/request?user=carol&amp;q=cole">Choose carol</a>`)

	p = olivia.get("/request/preview?user=carol&card_type=visitor")
	p.has(t, "<dt>Common name</dt><dd>Visitor Cole</dd>", "visitor.carol@example.com", "no approval step")

	p = olivia.get("/request?user=dave")
	p.has(t, "dave is inactive in the directory")
	p.lacks(t, ">Next</button>")

	p = olivia.get("/request?q=nobody-like-this")
	p.has(t, "No user matches")

	if len(w.cards.requests) != 0 {
		t.Fatal("showing the form requested a card")
	}
	p = olivia.post("/request", url.Values{"user": {"carol"}, "card_type": {"standard"}, "request_id": {"6f0c4c1e-4a44-4d55-9a38-0c1b51cf5a10"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/cards/6f0c4c1e-4a44-4d55-9a38-0c1b51cf5a10" {
		t.Fatalf("Next: %d to %q", p.status, p.header.Get("Location"))
	}
	if got := w.cards.requests; len(got) != 1 || got[0].RequestedBy != "olivia" || got[0].UserID != "carol" || got[0].CardType != "standard" || got[0].CardID != "6f0c4c1e-4a44-4d55-9a38-0c1b51cf5a10" {
		t.Fatalf("requests %+v", got)
	}

	w.cards.err = temporal.NewApplicationError("an open request for this user and card type already exists: 0b9c", cards.ErrDuplicateOpenRequest, "0b9c6f1e-0000-4000-8000-000000000000")
	p = olivia.post("/request", url.Values{"user": {"carol"}, "card_type": {"standard"}})
	p.has(t, "Already requested", "/cards/0b9c6f1e-0000-4000-8000-000000000000")

	p = w.as("carol").get("/request")
	if p.status != http.StatusForbidden {
		t.Errorf("carol (no operator role) got %d on Request card", p.status)
	}
	p.has(t, "needs the directory role “operator”")
	if p := w.as("carol").get("/inbox"); strings.Contains(p.body, `href="/request"`) {
		t.Error("carol's navigation offers Request card")
	}
}

func TestCardsListFiltersAndPages(t *testing.T) {
	w := newWorld(t)
	var ids []string
	for _, person := range w.people(30) {
		ids = append(ids, w.card(person, "olivia", "standard"))
	}
	visitor := w.card("bob", "olivia", "visitor")
	b := w.as("alice")

	p := b.get("/cards")
	p.has(t, "/cards/"+visitor, "/cards/"+ids[29], "Next page")
	p.lacks(t, "/cards/"+ids[0])
	i := strings.Index(p.body, `href="/cards?after=`)
	if i < 0 {
		t.Fatal("no next-page link")
	}
	next := p.body[i+len(`href="`):]
	next = strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&")
	p = b.get(next)
	p.has(t, "/cards/"+ids[0], "First page")
	p.lacks(t, "/cards/"+visitor, "Next page")

	p = b.get("/cards?type=visitor")
	p.has(t, "/cards/"+visitor)
	p.lacks(t, "/cards/"+ids[0], "Next page")
	p = b.get("/cards?user=bob&state=approved")
	p.has(t, "No card matches these filters.")
	p = b.get("/cards?state=bogus")
	p.has(t, "is not a card state")
	if p = b.get("/cards?after=garbage"); p.status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", p.status)
	}
}

func TestSelfServiceOffersOnlyOnesOwnCard(t *testing.T) {
	w := newWorldWith(t, testPolicy+"selfService: true\n")
	carol := w.as("carol")
	p := carol.get("/request?q=olivia&user=olivia")
	if p.status != http.StatusOK {
		t.Fatalf("self-service Request card: %d", p.status)
	}
	p.has(t, "Self-service", "<dt>Common name</dt><dd>Carol Cole</dd>", ">Next</button>")
	p.lacks(t, "Olivia", `<label for="q">User</label>`)
	p = carol.post("/request", url.Values{"user": {"olivia"}, "card_type": {"standard"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("self-service Next: %d", p.status)
	}
	if got := w.cards.requests; len(got) != 1 || got[0].UserID != "carol" || got[0].RequestedBy != "carol" {
		t.Fatalf("self-service requested %+v, want carol's own card", got)
	}
}

func TestPostponeIsOfferedAndMarkedInTheInbox(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	w.as("alice").get("/cards/"+id).has(t, ">Postpone</button>", `for="postpone-comment">Comment`)
	w.as("olivia").get("/cards/"+id).lacks(t, ">Postpone</button>")
	w.as("carol").get("/cards/"+id).lacks(t, ">Postpone</button>")
	if _, err := w.store.RecordVote(context.Background(), store.Vote{WorkflowID: "request-card-" + id, RunID: "run", CardID: id,
		Kind: "postpone", Actor: "alice", Comment: "after the audit", At: time.Now(), Token: "p1"}); err != nil {
		t.Fatal(err)
	}
	w.as("alice").get("/inbox").has(t, "/cards/"+id, "Postponed by you", "after the audit", "<td>request</td>")
	bob := w.as("bob").get("/inbox")
	bob.has(t, "/cards/"+id)
	bob.lacks(t, "Postponed by you")
	w.as("alice").get("/cards/"+id).has(t, "Postponed by you: after the audit", ">Postpone</button>")
}
