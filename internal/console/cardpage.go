package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cardview"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/lane"
)

// cardView is everything the Card page shows about one card.
type cardView struct {
	Card   store.Card
	User   cards.User
	Status cards.Status
	// StatusErr says the live status (approvals in progress, ignored
	// signals, expiry) could not be read from the workflow.
	StatusErr string
	Events    []store.Event
	// DecideBar says why the signed-in user may not approve or reject
	// ("" when they may); CanCancel says they may withdraw the request.
	DecideBar string
	CanCancel bool
	// Approval is the card's open approval (any operation's), nil when
	// none; Postponed is the signed-in user's postponement of it.
	Approval  *store.Approval
	Postponed *store.Postponement
	// Approvals is the Approvals panel: the open approval and the closed
	// ones with their votes, from PostgreSQL.
	Approvals approvalsPanel
	// Refusal is the workflow's answer to the action just tried, shown
	// inline; Form holds what was typed, so nothing is lost.
	Refusal *refusal
	Form    decisionForm

	// Open is the operation open on the card's lane (Issue card, Activate
	// card, ...), nil when none; OpenErr says it could not be read.
	Open    *lane.Status
	OpenErr string
	// Offer is which operations the signed-in user is shown.
	Offer offer
	// Production is the card type's production options (the default
	// station, the PIN length); Stations the stations the policy names.
	Production policy.ResolvedProduction
	Stations   []string
	// FailReason is why the card's latest production failed.
	FailReason string
	// Images says the station's front and back of the card can be shown.
	Images bool
	// Expiry says when the card expires, seen at the request's time; nil
	// for a card that does not expire (any more).
	Expiry *expiry
}

func (v cardView) pageTitle() string {
	return "Card for " + v.Card.UserID
}

// CanDecide says the signed-in user may approve or reject.
func (v cardView) CanDecide() bool { return v.DecideBar == "" }

// ExpiresAt is when the approval that waits times out: the open
// approval's, else (a request without an approvals row) the request's.
func (v cardView) ExpiresAt() *time.Time {
	if v.Approval != nil && v.Approval.RunID != store.BackfilledRunID {
		return v.Approval.ExpiresAt
	}
	return v.Status.ExpiresAt
}

// decisionForm is what was typed into one of the card page's forms (a
// decision or an operation), kept when it is refused.
type decisionForm struct {
	Kind    string
	Comment string
	Station string
	// Compromised is Lock card's "key compromised" box.
	Compromised bool
}

// Live says the page refreshes itself: the card waits for a decision, or
// an operation on it runs.
func (v cardView) Live() bool { return v.Card.State == cards.StateRequested || v.Open != nil }

// Waiting says the card waits for a decision.
func (v cardView) Waiting() bool { return v.Card.State == cards.StateRequested || v.Approval != nil }

// LiveKey is what the polling fragment compares to know the page changed
// underneath it: the state and the open operation.
func (v cardView) LiveKey() string {
	if v.Open == nil {
		return string(v.Card.State)
	}
	return string(v.Card.State) + "/" + v.Open.Type
}

// WeakPIN says the card type's PINs have 4 digits, fewer than NIST SP
// 800-73 asks for.
func (v cardView) WeakPIN() bool { return v.Production.PINLength == 4 }

// Cancelled says the card failed and its production was cancelled: final.
func (v cardView) Cancelled() bool {
	return v.Card.State == cards.StateFailed && v.Card.ProductionCancelled
}

// Produced says the card went through a print station successfully.
func (v cardView) Produced() bool { return produced(v.Card.State) }

func (s *Server) cardPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadCard(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "card", v)
}

// cardLive is the part of the Card page that htmx polls while the card
// waits or an operation runs: the open operation's step, approvals, audit
// trail. When the card is decided, or the operation ends, the whole page
// reloads, so that the actions change too.
func (s *Server) cardLive(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadCard(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("state") != v.LiveKey() {
		w.Header().Set("HX-Refresh", "true")
	}
	s.fragment(w, http.StatusOK, "card", "live", v)
}

// loadCard reads the card of the path for the signed-in user, or answers
// with a page that says why there is none.
func (s *Server) loadCard(w http.ResponseWriter, r *http.Request) (cardView, bool) {
	id := strings.TrimSpace(r.PathValue("id"))
	if _, err := uuid.Parse(id); err != nil {
		s.render(w, r, http.StatusNotFound, "message", messagePage{
			Title: "No such card", Message: "“" + id + "” is not a card id (card ids look like 0b9c6f1e-…). Find the card in the Cards list.",
			Link: "/cards", LinkText: "Cards",
		})
		return cardView{}, false
	}
	v, err := s.cardView(r.Context(), currentUser(r), id)
	if errors.Is(err, store.ErrNoRows) {
		s.render(w, r, http.StatusNotFound, "message", messagePage{
			Title: "No such card", Message: "There is no card " + id + ". It may have been refused before it was written (the request's history in Temporal says why), or the link is wrong.",
			Link: "/cards", LinkText: "Cards",
		})
		return cardView{}, false
	}
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The card store (PostgreSQL) did not answer", err)
		return cardView{}, false
	}
	return v, true
}

// cardView gathers the card, its user, audit trail and approvals from
// PostgreSQL and the request's live status from its workflow.
func (s *Server) cardView(ctx context.Context, u cards.User, id string) (cardView, error) {
	card, err := s.Store.Card(ctx, id)
	if err != nil {
		return cardView{}, err
	}
	v := cardView{Card: card}
	users, err := s.Store.Users(ctx, card.UserID)
	if err != nil {
		return cardView{}, err
	}
	v.User = users[card.UserID]
	if v.Events, err = s.Store.Events(ctx, id); err != nil {
		return cardView{}, err
	}
	if v.Status, err = s.Cards.Status(ctx, id); err != nil {
		var ref *cardops.Refusal
		if card.State == cards.StateRequested || !errors.As(err, &ref) || ref.Type != cards.ErrNotFound {
			// A card made by Issue card for a user has no request
			// workflow; any other card's should answer.
			v.StatusErr = err.Error()
		}
		if v.Status.Approvals, err = s.Store.Approvals(ctx, id); err != nil {
			return cardView{}, err
		}
	}
	trail, err := cardview.Complete(ctx, s.Store, card, &v.Status)
	if err != nil {
		return cardView{}, err
	}
	v.Approvals = newApprovalsPanel(trail, v.Status)
	if v.Open, err = s.Cards.OpenOperation(ctx, id); err != nil {
		v.OpenErr = err.Error()
	}
	if open := cardview.OpenOf(trail); open != nil {
		v.Approval = &open.Approval
		if pp, ok := open.Postponed[u.ID]; ok {
			v.Postponed = &pp
		}
	}
	v.DecideBar = decisionBar(s.Policy, u, card, v.Status.Approvals, v.Approval)
	v.CanCancel = mayCancel(u, card)
	v.Offer = operationsOffered(s.Policy, u, card, v.Open)
	v.Production, _ = s.Policy.ResolveProduction(card.CardType)
	v.Stations = knownStations(s.Policy)
	if card.State == cards.StateFailed {
		v.FailReason = failReason(v.Events)
	}
	v.Images = produced(card.State) && s.hasImages(card)
	v.Expiry = expiryOf(card, s.Now())
	return v, nil
}
