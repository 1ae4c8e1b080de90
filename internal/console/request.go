package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// requestPage is the Request card page: search a user, see the user data
// and the card data the mapping derives, choose the card type, then Next.
type requestPage struct {
	Query    string
	Searched bool
	Results  []cards.User
	// SelfOnly says the signed-in user may request only their own card
	// (self-service without the requester role).
	SelfOnly bool
	Selected *cards.User
	CardType string
	Types    []cardTypeOption
	Preview  preview
	// RequestID is chosen when the form is shown, so that pressing Next
	// twice (or a retried post) attaches to one request instead of two.
	RequestID string
	Refusal   *refusal
}

func (requestPage) pageTitle() string { return "Request card" }

// CanSubmit says Next is offered: a user is chosen and the card data
// could be derived for them.
func (p requestPage) CanSubmit() bool {
	return p.Selected != nil && p.Preview.Problem == ""
}

type cardTypeOption struct {
	Name     string
	Summary  string
	Selected bool
}

// preview is the card data CardsMapUserToCard derives for the chosen user
// and card type, computed by the same code as the workflow's activity.
type preview struct {
	CardType string
	Data     cards.CardData
	Approval string
	// Problem says why no card can be requested for this user (inactive,
	// a mapping that fails on them).
	Problem string
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request) {
	page, status := s.requestForm(r)
	s.render(w, r, status, "request", page)
}

// requestPreview answers htmx when the card type changes: just the card
// data; without JavaScript the same form reloads the whole page.
func (s *Server) requestPreview(w http.ResponseWriter, r *http.Request) {
	page, status := s.requestForm(r)
	if r.Header.Get("HX-Request") == "" || page.Selected == nil {
		s.render(w, r, status, "request", page)
		return
	}
	s.fragment(w, status, "request", "preview", page)
}

func (s *Server) requestSubmit(w http.ResponseWriter, r *http.Request) {
	me := currentUser(r)
	page, status := s.requestForm(r)
	if status != http.StatusOK || !page.CanSubmit() {
		if status == http.StatusOK {
			status = http.StatusUnprocessableEntity
		}
		if page.Refusal == nil && page.Selected == nil {
			page.Refusal = &refusal{Title: "Not sent", Message: "Choose the user the card is for (search by id or name), then press Next."}
		} else if page.Refusal == nil {
			page.Refusal = &refusal{Title: "Not sent", Message: page.Preview.Problem}
		}
		s.render(w, r, status, "request", page)
		return
	}
	id := r.PostFormValue("request_id")
	if _, err := uuid.Parse(id); err != nil {
		id = uuid.NewString()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.ActionTimeout)
	defer cancel()
	st, err := s.Cards.Request(ctx, cardops.RequestInput{CardID: id, UserID: page.Selected.ID, CardType: page.CardType, RequestedBy: me.ID})
	if err != nil {
		ref := explain(err)
		s.Log.Info("Request refused", zap.String("user", page.Selected.ID), zap.String("cardType", page.CardType), zap.String("requester", me.ID),
			zap.String("refusal", ref.Message), zap.Error(err))
		page.Refusal = &ref
		s.render(w, r, ref.Status, "request", page)
		return
	}
	if st.State == cards.StateApproved {
		s.flash(r, fmt.Sprintf("Card requested for %s. The %s card type has no approval step, so it is approved.", page.Selected.ID, page.CardType))
	} else {
		s.flash(r, fmt.Sprintf("Card requested for %s. It waits for %d approval(s); approvers find it in their Inbox.", page.Selected.ID, st.ApprovalsRequired))
	}
	http.Redirect(w, r, "/cards/"+st.ID, http.StatusSeeOther)
}

// requestForm reads the form (query or post) into the page, with search
// results, the chosen user and the preview.
func (s *Server) requestForm(r *http.Request) (requestPage, int) {
	me := currentUser(r)
	if !mayRequest(s.Policy, me) {
		return requestPage{Refusal: &refusal{Title: "Not allowed", Message: fmt.Sprintf(
			"Requesting cards needs the directory role “%s”, which you do not hold. Ask an administrator if you should have it.", s.Policy.RequesterRole)}}, http.StatusForbidden
	}
	ctx := r.Context()
	page := requestPage{
		Query:     strings.TrimSpace(r.FormValue("q")),
		SelfOnly:  !me.HasRole(s.Policy.RequesterRole),
		CardType:  r.FormValue("card_type"),
		RequestID: uuid.NewString(),
	}
	if id := r.FormValue("request_id"); id != "" {
		if _, err := uuid.Parse(id); err == nil {
			page.RequestID = id
		}
	}
	unknownType := ""
	if _, ok := s.Policy.CardTypes[page.CardType]; !ok {
		if page.CardType != "" {
			unknownType = page.CardType
		}
		page.CardType = s.Policy.DefaultCardType
	}
	for _, name := range s.Policy.CardTypeNames() {
		page.Types = append(page.Types, cardTypeOption{Name: name, Summary: approvalSummary(s.Policy, name), Selected: name == page.CardType})
	}
	if unknownType != "" {
		// Never fall back to the default type silently: the starter
		// refuses the same with UnknownCardType.
		page.Refusal = &refusal{Title: "Unknown card type", Message: fmt.Sprintf("There is no card type %q; the card types are %s. Choose one of them.",
			shortText(unknownType), strings.Join(s.Policy.CardTypeNames(), ", "))}
		return page, http.StatusUnprocessableEntity
	}
	userID := strings.TrimSpace(r.FormValue("user"))
	if userID != "" {
		if err := limits.Identifier("user", userID); err != nil {
			ref := invalidInput("User", err)
			page.Refusal = &ref
			return page, http.StatusUnprocessableEntity
		}
	}
	if page.SelfOnly {
		userID, page.Query = me.ID, ""
	}
	if page.Query != "" {
		page.Searched = true
		found, err := s.Store.SearchUsers(ctx, page.Query, 20)
		if err != nil {
			return page, s.directoryDown(&page, err)
		}
		page.Results = found
		if len(found) == 1 && userID == "" {
			userID = found[0].ID
		}
	}
	if userID == "" {
		return page, http.StatusOK
	}
	u, err := s.Store.User(ctx, userID)
	if errors.Is(err, store.ErrNoRows) {
		page.Refusal = &refusal{Title: "No such user", Message: fmt.Sprintf("There is no user %q in the directory. Search by id or name.", userID)}
		return page, http.StatusNotFound
	}
	if err != nil {
		return page, s.directoryDown(&page, err)
	}
	page.Selected = &u
	page.Preview = s.preview(u, page.CardType)
	return page, http.StatusOK
}

// shortText cuts what someone typed to a length a page can repeat.
func shortText(v string) string {
	if runes := []rune(v); len(runes) > 40 {
		return string(runes[:40]) + "…"
	}
	return v
}

func (s *Server) directoryDown(page *requestPage, err error) int {
	page.Refusal = &refusal{Title: "The user directory did not answer", Message: "PostgreSQL did not answer, so users cannot be searched right now. Try again in a moment.", Detail: err.Error()}
	return http.StatusServiceUnavailable
}

func (s *Server) preview(u cards.User, cardType string) preview {
	p := preview{CardType: cardType, Approval: approvalSummary(s.Policy, cardType)}
	if !u.Active() {
		p.Problem = fmt.Sprintf("%s is %s in the directory; a card can be requested only for an active user.", u.ID, u.State)
		return p
	}
	resolved, err := s.Policy.Resolve(cardType)
	if err != nil {
		p.Problem = err.Error()
		return p
	}
	if p.Data, err = s.mapper.Map(resolved, u); err != nil {
		p.Problem = "The policy's mapping does not work for this user: " + err.Error() + ". Tell the administrator of the policy file."
	}
	return p
}

// approvalSummary says what happens after Next for a card type.
func approvalSummary(p *policy.Policy, cardType string) string {
	r, err := p.Resolve(cardType)
	if err != nil {
		return ""
	}
	if !r.ApprovalRequired {
		return "no approval step: approved at once"
	}
	return fmt.Sprintf("needs %d approval(s) from holders of role “%s” within %s", r.ApproversRequired, r.ApproverRole, humanDuration(r.ApprovalTimeout))
}

// requestLink is the Request card page with a user chosen.
func requestLink(userID string) string {
	return "/request?user=" + url.QueryEscape(userID)
}
