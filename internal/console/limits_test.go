package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// Bad input on the console's forms: refused with the rule in plain words,
// never sent on with empty or default values, never "try again".

func TestFormOverTheBodyLimitIsRefusedNotSentEmpty(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	for _, size := range []int{10<<20 + 1, limits.MaxBody} {
		p := w.as("alice").post("/cards/"+id+"/approve", url.Values{"comment": {strings.Repeat("x", size)}})
		if p.status != http.StatusRequestEntityTooLarge {
			t.Errorf("form of %d bytes: status %d, want 413", size, p.status)
		}
		p.has(t, "Form not accepted", "at most 64 KB", "at most 2000 characters")
		p.lacks(t, "Try again", "try again")
	}
	if got := w.cards.decided(); len(got) != 0 {
		t.Fatalf("an oversized form was sent on as %+v", got)
	}
}

func TestCommentLimitJustUnderAndJustOver(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	under := strings.Repeat("é", limits.MaxComment)
	p := w.as("alice").post("/cards/"+id+"/approve", url.Values{"comment": {under}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("comment of %d characters: status %d, want 303", limits.MaxComment, p.status)
	}
	for _, tc := range []struct{ kind, field, label string }{{"approve", "comment", "Comment"}, {"reject", "reason", "Reason"}} {
		p = w.as("bob").post("/cards/"+id+"/"+tc.kind, url.Values{tc.field: {under + "é"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%s over the limit: status %d, want 422", tc.kind, p.status)
		}
		p.has(t, "Not sent:</strong> "+tc.label+": at most 2000 characters (got 2001)", "correct it and send again")
		p.lacks(t, "Temporal did not answer", "try again in a moment", "Try again in a moment")
	}
	if got := w.cards.decided(); len(got) != 1 || got[0].In.Comment != under {
		t.Fatalf("decisions sent: %d, want only the one under the limit", len(got))
	}
}

func TestInvalidInputFromTheWorkflowIsNotBlamedOnTemporal(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	w.cards.err = temporal.NewApplicationError("comment: at most 2000 characters (got 2001)", cards.ErrInvalidInput)
	p := w.as("alice").post("/cards/"+id+"/approve", url.Values{"comment": {"fine"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.status)
	}
	p.has(t, "Not sent:</strong> Comment: at most 2000 characters (got 2001).")
	p.lacks(t, "Temporal did not answer")
}

func TestUnknownCardTypeIsRefusedNotDefaulted(t *testing.T) {
	w := newWorld(t)
	olivia := w.as("olivia")
	p := olivia.post("/request", url.Values{"user": {"carol"}, "card_type": {"gold"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.status)
	}
	p.has(t, "There is no card type &#34;gold&#34;; the card types are standard, visitor.")
	p = olivia.get("/request?user=carol&card_type=gold")
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("page with an unknown card type: status %d, want 422", p.status)
	}
	if len(w.cards.requests) != 0 {
		t.Fatalf("requests sent for an unknown card type: %+v", w.cards.requests)
	}
	// An empty card type is the policy's default, as for the starter.
	if p = olivia.post("/request", url.Values{"user": {"carol"}}); p.status != http.StatusSeeOther {
		t.Fatalf("default card type: status %d, want 303", p.status)
	}
	if len(w.cards.requests) != 1 || w.cards.requests[0].CardType != "standard" {
		t.Fatalf("requests %+v", w.cards.requests)
	}
}

func TestRequestFormRefusalsSayWhat(t *testing.T) {
	w := newWorld(t)
	olivia := w.as("olivia")
	p := olivia.post("/request", url.Values{})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty post: status %d, want 422", p.status)
	}
	p.has(t, "Choose the user the card is for")
	p = olivia.post("/request", url.Values{"user": {strings.Repeat("u", limits.MaxIdentifier+1)}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("long user: status %d, want 422", p.status)
	}
	p.has(t, "User: at most 128 characters (got 129)")
	if len(w.cards.requests) != 0 {
		t.Fatalf("requests sent: %+v", w.cards.requests)
	}
}

func TestSharedAddressSaysWhomToAsk(t *testing.T) {
	w := newWorld(t)
	rec := httptest.NewRecorder()
	w.srv.sharedAddress(rec, httptest.NewRequest(http.MethodGet, "/auth/callback", nil), "twin@example.com")
	if rec.Code != http.StatusConflict {
		t.Fatalf("status %d, want 409", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"more than one user of the card directory has that address", "ask an administrator"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "did not answer") {
		t.Errorf("page blames an outage:\n%s", body)
	}
}
