package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
)

// refusal is an error from a request or a decision, said in plain words for
// the page that shows it inline, with the HTTP status the page goes out with.
type refusal struct {
	Title   string
	Message string
	// OpenCardID links the open request that a duplicate ran into.
	OpenCardID string
	// ActiveCardID links the user's active card that an activation ran
	// into (AnotherActiveCard).
	ActiveCardID string
	// Detail is the technical error, for errors that are not refusals.
	Detail string
	Status int
}

// explain turns what the workflow (or cardops) answered into a refusal.
func explain(err error) refusal {
	var appErr *temporal.ApplicationError
	var ref *cardops.Refusal
	var invalid *serviceerror.InvalidArgument
	switch {
	case errors.As(err, &appErr):
		msg := sentence(appErr.Error())
		switch appErr.Type() {
		case cards.ErrNotAllowed:
			return refusal{Title: "Not allowed", Message: msg, Status: http.StatusForbidden}
		case cards.ErrInvalidDecision:
			return refusal{Title: "Not sent", Message: msg, Status: http.StatusUnprocessableEntity}
		case cards.ErrInvalidInput:
			return refusal{Title: "Not sent", Message: msg + " Nothing was changed; correct it and send again.", Status: http.StatusUnprocessableEntity}
		case cards.ErrAlreadyDecided:
			return refusal{Title: "Already decided", Message: msg + " Nothing was changed.", Status: http.StatusConflict}
		case cards.ErrDuplicateOpenRequest:
			var open string
			if appErr.HasDetails() {
				_ = appErr.Details(&open)
			}
			return refusal{Title: "Already requested", Message: msg, OpenCardID: open, Status: http.StatusConflict}
		case cards.ErrInvalidState:
			return refusal{Title: "Not possible now", Message: msg + " Nothing was changed.", Status: http.StatusConflict}
		case cards.ErrAnotherActiveCard:
			var active string
			if appErr.HasDetails() {
				_ = appErr.Details(&active)
			}
			return refusal{Title: "Another active card", Message: msg + " Nothing was changed.", ActiveCardID: active, Status: http.StatusConflict}
		case cards.ErrCardNotFound:
			return refusal{Title: "No such card", Message: msg, Status: http.StatusNotFound}
		case cards.ErrUserNotFound, cards.ErrUserNotActive, cards.ErrUnknownCardType, cards.ErrUseCaseDisabled, "MappingFailed":
			return refusal{Title: "Refused", Message: msg, Status: http.StatusUnprocessableEntity}
		case cards.ErrInfrastructureUnavailable:
			return refusal{Title: "Not done", Message: msg, Status: http.StatusServiceUnavailable}
		}
		return refusal{Title: "Refused", Message: msg, Status: http.StatusUnprocessableEntity}
	case errors.As(err, &ref):
		status := http.StatusConflict
		if ref.Type == cards.ErrNotFound {
			status = http.StatusNotFound
		}
		if ref.Type == cards.ErrCardBusy {
			return refusal{Title: "Busy", Message: busySentence(ref.Message), Status: status}
		}
		return refusal{Title: "Refused", Message: sentence(ref.Message), Status: status}
	case errors.As(err, &invalid):
		// Temporal refused what was sent: sending it again will not help.
		return refusal{
			Title:   "Not accepted",
			Message: "Temporal refused what was sent as invalid, so nothing was changed. Sending the same again will not help; tell whoever runs cardflow.",
			Detail:  err.Error(), Status: http.StatusUnprocessableEntity,
		}
	case errors.Is(err, context.DeadlineExceeded):
		return refusal{
			Title:   "No answer yet",
			Message: "The workflow did not answer in time; the worker may be down or busy. It may still take effect: reload the card in a minute before trying again.",
			Detail:  err.Error(), Status: http.StatusGatewayTimeout,
		}
	}
	return refusal{
		Title:   "Temporal did not answer",
		Message: "The request could not be sent to the workflow, so nothing was changed. Try again in a moment; if it keeps happening, tell whoever runs cardflow.",
		Detail:  err.Error(), Status: http.StatusServiceUnavailable,
	}
}

// sentence makes a workflow message read as a sentence on a page. The
// application error's text may carry the SDK's " (type: X, retryable: false)"
// suffix, which means nothing to an approver.
func sentence(msg string) string {
	if i := strings.Index(msg, " (type: "); i > 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// busySentence says CardBusy for the card page: the starter's hint (a
// command to run) becomes what the page does by itself.
func busySentence(msg string) string {
	if i := strings.Index(msg, "; wait for it to end"); i > 0 {
		msg = msg[:i]
	}
	return sentence(msg) + " Nothing was changed: this page shows the open operation; try again once it has ended."
}
