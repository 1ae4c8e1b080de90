package console

import (
	"context"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// decisionDone is what the card page says after a decision went through.
var decisionDone = map[string]string{
	cards.Approve: "You approved this card.",
	cards.Reject:  "You rejected this card.",
	cards.Cancel:  "You cancelled this request.",
	"postpone":    "You postponed your decision; the card stays in your Inbox.",
}

// approvalDecider sends a vote to the workflow that holds the card's open
// approval (an operation's on the card's lane); cardops.Client is one.
type approvalDecider interface {
	DecideOn(ctx context.Context, cardID, workflowID, kind string, in cards.DecisionInput) (cards.Status, error)
}

// decide handles the Approve, Reject and Cancel request forms: it sends the
// decision as a workflow update with the signed-in user as the actor, then
// shows the card again; a refusal is shown inline on the card page, with
// what was typed kept in the form.
func (s *Server) decide(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.loadCard(w, r)
		if !ok {
			return
		}
		field := "comment"
		if kind == cards.Reject {
			field = "reason"
		}
		comment := strings.TrimSpace(r.PostFormValue(field))
		if err := limits.Comment(field, comment); err != nil {
			// Refused here, in the words of this page's field: the
			// workflow would refuse it too, but the approver should not
			// need a round trip to learn the rule.
			s.showRefusal(w, r, v, kind, comment, invalidInput(fieldLabel[field], err))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.ActionTimeout)
		defer cancel()
		in := cards.DecisionInput{Actor: currentUser(r).ID, Comment: comment}
		var err error
		if d, ok := s.Cards.(approvalDecider); ok && v.Approval != nil && kind != cards.Cancel {
			// Whatever approval is open on the card, as its row names it.
			_, err = d.DecideOn(ctx, v.Card.ID, v.Approval.WorkflowID, kind, in)
		} else {
			_, err = s.Cards.Decide(ctx, v.Card.ID, kind, in)
		}
		if err != nil {
			ref := explain(err)
			if kind == cards.Reject && comment == "" && ref.Status == http.StatusUnprocessableEntity {
				// The workflow says "comment"; on this page the field is Reason.
				ref.Message = "A rejection needs a reason: write it in Reason, then press Reject again."
			}
			s.Log.Info("Decision refused", zap.String("card", v.Card.ID), zap.String("kind", kind), zap.String("actor", currentUser(r).ID),
				zap.String("refusal", ref.Message), zap.Error(err))
			s.showRefusal(w, r, v, kind, comment, ref)
			return
		}
		s.flash(r, decisionDone[kind])
		http.Redirect(w, r, "/cards/"+v.Card.ID, http.StatusSeeOther)
	}
}

// fieldLabel is how the card page labels a decision form's field.
var fieldLabel = map[string]string{"comment": "Comment", "reason": "Reason"}

// showRefusal shows the card again with the refusal inline and what was
// typed kept in the form (cut to the limit when it was too long).
func (s *Server) showRefusal(w http.ResponseWriter, r *http.Request, v cardView, kind, comment string, ref refusal) {
	s.showFormRefusal(w, r, v, decisionForm{Kind: kind, Comment: comment}, ref)
}

// showFormRefusal is showRefusal for any of the card page's forms.
func (s *Server) showFormRefusal(w http.ResponseWriter, r *http.Request, v cardView, form decisionForm, ref refusal) {
	if fresh, ok := s.reload(r, v.Card.ID); ok {
		v = fresh
	}
	if runes := []rune(form.Comment); len(runes) > limits.MaxComment {
		form.Comment = string(runes[:limits.MaxComment])
	}
	if runes := []rune(form.Station); len(runes) > limits.MaxIdentifier {
		form.Station = string(runes[:limits.MaxIdentifier])
	}
	v.Refusal, v.Form = &ref, form
	s.render(w, r, ref.Status, "card", v)
}

// reload reads the card again after a refusal: the refusal may be because
// someone else decided it meanwhile, and the page should show that.
func (s *Server) reload(r *http.Request, id string) (cardView, bool) {
	v, err := s.cardView(r.Context(), currentUser(r), id)
	return v, err == nil
}
