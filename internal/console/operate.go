package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// DefaultOperationWait is how long an operation's form waits for the end
// of what it started: long enough for a refusal and for an activation, short
// enough that a person is never left looking at a spinner while a print
// station works; the card page follows what is still running.
const DefaultOperationWait = 3 * time.Second

// operation is one of the card page's operation forms.
type operation struct {
	// Name is the form's path (/cards/{id}/<Name>) and its kind in the
	// page's form state.
	Name string
	// Station and Comment say which fields the form has; CommentRequired
	// that the comment must not be empty (Lock card); Compromised that it
	// has Lock card's "key compromised" box.
	Station, Comment, CommentRequired, Compromised bool
	// start builds the workflow's input and its line for the Temporal UI.
	start func(cardID, operator string, form decisionForm) cardops.Operation
	// done says what happened when the operation ended within the wait.
	done func(lane.Status) string
	// running says what the card page follows when it did not.
	running func(station string) string
}

// operations are the card page's operation forms, each going through its
// workflow on the card's lane with the signed-in user as the operator.
var operations = []operation{
	{
		Name: "issue", Station: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			station := form.Station
			return cardops.Operation{CardID: id, Type: issuecard.WorkflowType, Summary: fmt.Sprintf("Issue card %s, by %s (console)", id, operator),
				Input: issuecard.Input{CardID: id, Operator: operator, Station: station, Action: issuecard.ActionIssue}}
		},
		done:    productionDone,
		running: productionRunning,
	},
	{
		Name: "repeat", Station: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			station := form.Station
			return cardops.Operation{CardID: id, Type: issuecard.WorkflowType, Summary: fmt.Sprintf("Repeat production of card %s, by %s (console)", id, operator),
				Input: issuecard.Input{CardID: id, Operator: operator, Station: station, Action: issuecard.ActionRepeat}}
		},
		done:    productionDone,
		running: productionRunning,
	},
	{
		Name: "cancel-production", Comment: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			comment := form.Comment
			return cardops.Operation{CardID: id, Type: issuecard.WorkflowType, Summary: fmt.Sprintf("Cancel production of card %s, by %s (console)", id, operator),
				Input: issuecard.Input{CardID: id, Operator: operator, Action: issuecard.ActionCancel, Comment: comment}}
		},
		done: func(lane.Status) string {
			return "You cancelled this card's production: the card stays failed for good."
		},
		running: func(string) string { return "Cancelling the production; this page follows it." },
	},
	{
		Name: "activate",
		start: func(id, operator string, _ decisionForm) cardops.Operation {
			return cardops.Operation{CardID: id, Type: activatecard.WorkflowType, Summary: fmt.Sprintf("Activate card %s, by %s (console)", id, operator),
				Input: activatecard.Input{CardID: id, Operator: operator}}
		},
		done: func(lane.Status) string { return "You activated this card: its certificates are valid now." },
		running: func(string) string {
			return "Activating the card; this page follows it until the certificates are released."
		},
	},
	{
		Name: "deactivate", Comment: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			return cardops.Operation{CardID: id, Type: cardstate.DeactivateType, Summary: fmt.Sprintf("Deactivate card %s, by %s (console)", id, operator),
				Input: cardstate.Input{CardID: id, Operator: operator, Comment: form.Comment}}
		},
		done: stateDone("You deactivated this card: its certificates are on hold until it is reactivated."),
		running: func(string) string {
			return "Deactivating the card; this page follows it (waiting for approval, if the card type asks for one)."
		},
	},
	{
		Name: "reactivate", Comment: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			return cardops.Operation{CardID: id, Type: cardstate.ReactivateType, Summary: fmt.Sprintf("Reactivate card %s, by %s (console)", id, operator),
				Input: cardstate.Input{CardID: id, Operator: operator, Comment: form.Comment}}
		},
		done: stateDone("You reactivated this card: its certificates are valid again; the holder is told by e-mail."),
		running: func(string) string {
			return "Reactivating the card; this page follows it (waiting for approval, if the card type asks for one)."
		},
	},
	{
		Name: "lock", Comment: true, CommentRequired: true, Compromised: true,
		start: func(id, operator string, form decisionForm) cardops.Operation {
			return cardops.Operation{CardID: id, Type: cardstate.LockType, Summary: fmt.Sprintf("Lock card %s, by %s (console)", id, operator),
				Input:   cardstate.Input{CardID: id, Operator: operator, Comment: form.Comment, Compromised: form.Compromised},
				Preempt: &lane.Preemption{Type: cardstate.LockType, Operator: operator, Comment: form.Comment, Compromised: form.Compromised}}
		},
		done: stateDone("You locked this card for good: its certificates are revoked; the holder is told by e-mail."),
		running: func(string) string {
			return "Locking the card; this page follows it until the certificates are revoked (a CA that does not answer is retried)."
		},
	},
}

// stateDone is what Deactivate, Reactivate and Lock say when they ended
// within the wait: done, or aborted with the reason.
func stateDone(msg string) func(lane.Status) string {
	return func(s lane.Status) string {
		if s.Aborted != "" {
			return "The operation ended without changing the card: " + s.Aborted + "."
		}
		return msg
	}
}

func productionDone(s lane.Status) string {
	if s.Reason != "" {
		return "The production at print station " + s.Station + " failed: " + s.Reason + ". Repeat it (at another station, if need be) or cancel it."
	}
	msg := "The card is issued (printed at " + s.Station + ")."
	if s.Delivery != "" {
		// How the PIN travels, without where the worker put the letter:
		// a path on the worker's machine means nothing here.
		how, _, _ := strings.Cut(s.Delivery, ":")
		if how == "none" {
			msg += " No PIN is sent (production.pinDelivery: none)."
		} else {
			msg += " The PIN goes to the holder by " + pinDelivery(how) + ", apart from the card."
		}
	}
	return msg + " Activate it once the holder has it."
}

// pinDelivery names a production.pinDelivery method for people.
func pinDelivery(method string) string {
	switch method {
	case "letter":
		return "PIN letter"
	case "email":
		return "e-mail"
	}
	return method
}

func productionRunning(station string) string {
	at := "the card type's print station"
	if station != "" {
		at = "print station " + station
	}
	return "The production started at " + at + "; this page follows it until the card is issued or the production fails."
}

// operate handles an operation's form: it starts the operation's workflow
// on the card's lane with the signed-in user as the operator and waits a
// little (OperationWait) for its end. A refusal is shown inline on the card
// page, with what was typed kept; an operation that ends in time is said in
// a message; one still running (a production at a print station) is
// followed by the card page, which shows its step and refreshes itself.
func (s *Server) operate(op operation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.loadCard(w, r)
		if !ok {
			return
		}
		form := decisionForm{Kind: op.Name}
		if op.Station {
			form.Station = strings.TrimSpace(r.PostFormValue("station"))
			if form.Station != "" {
				if err := limits.Identifier("station", form.Station); err != nil {
					s.showFormRefusal(w, r, v, form, invalidInput("Station", err))
					return
				}
			}
		}
		if op.Comment {
			form.Comment = strings.TrimSpace(r.PostFormValue("comment"))
			if err := limits.Comment("comment", form.Comment); err != nil {
				s.showFormRefusal(w, r, v, form, invalidInput("Comment", err))
				return
			}
			if op.CommentRequired && form.Comment == "" {
				s.showFormRefusal(w, r, v, form, invalidInput("Comment", errors.New("a comment is required: say why, for the audit trail")))
				return
			}
		}
		if op.Compromised {
			form.Compromised = r.PostFormValue("compromised") != ""
		}
		operator := currentUser(r).ID
		started := op.start(v.Card.ID, operator, form)
		startCtx, cancel := context.WithTimeout(r.Context(), s.ActionTimeout)
		runID, err := s.Cards.StartOperation(startCtx, started)
		cancel()
		if err != nil {
			s.operationRefused(w, r, v, form, err)
			return
		}
		waitCtx, cancel := context.WithTimeout(r.Context(), s.OperationWait)
		defer cancel()
		result, err := s.Cards.AwaitOperation(waitCtx, v.Card.ID, runID)
		switch {
		case err == nil:
			s.flash(r, op.done(result))
		case !waitFailed(err):
			// The operation ended with a refusal or a failure.
			s.operationRefused(w, r, v, form, err)
			return
		case r.Context().Err() == nil:
			// Started, and still running when the wait ended: its time
			// ran out, or the wait for its result failed under load (the
			// operation goes on either way); the card page follows it.
			if waitCtx.Err() == nil {
				s.Log.Info("Waiting for the operation failed; it runs on", zap.String("card", v.Card.ID), zap.String("operation", op.Name), zap.Error(err))
			}
			s.flash(r, op.running(form.Station))
		default:
			return
		}
		s.Log.Info("Operation started", zap.String("card", v.Card.ID), zap.String("operation", op.Name), zap.String("operator", operator),
			zap.String("station", form.Station), zap.Bool("ended", err == nil))
		http.Redirect(w, r, "/cards/"+v.Card.ID, http.StatusSeeOther)
	}
}

// operationRefused shows the workflow's refusal inline on the card page.
func (s *Server) operationRefused(w http.ResponseWriter, r *http.Request, v cardView, form decisionForm, err error) {
	ref := explain(err)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The person left; nobody reads the page.
		return
	}
	s.Log.Info("Operation refused", zap.String("card", v.Card.ID), zap.String("operation", form.Kind), zap.String("operator", currentUser(r).ID),
		zap.String("refusal", ref.Message), zap.Error(err))
	s.showFormRefusal(w, r, v, form, ref)
}

// waitFailed reports whether err is the wait's own failure (its time ran
// out, or Temporal did not answer the long poll) rather than the
// operation's end: a started operation then runs on.
func waitFailed(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var svc serviceerror.ServiceError
	return errors.As(err, &svc)
}
