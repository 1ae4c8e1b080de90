package console

import (
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/limits"
)

// boundedForms reads every form posted to the console, at most
// limits.MaxBody bytes of it, before any handler runs. A form that is too
// large or cannot be read is refused with the rule in plain words: a
// handler never goes on with the empty values an unread form gives.
func (s *Server) boundedForms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limits.MaxBody)
		// ParseMultipartForm would hide ParseForm's error behind
		// ErrNotMultipart, so the plain form is read first.
		err := r.ParseForm()
		if err == nil {
			if err = r.ParseMultipartForm(limits.MaxBody); errors.Is(err, http.ErrNotMultipart) {
				err = nil
			}
		}
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		status, msg := http.StatusBadRequest, "The form could not be read ("+err.Error()+"). Nothing was sent; reload the page and fill it in again."
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
			msg = fmt.Sprintf("The form is larger than the console takes (at most %d KB); a comment may hold at most %d characters. Nothing was sent: shorten what you typed and send it again.",
				limits.MaxBody>>10, limits.MaxComment)
		}
		s.Log.Info("Form refused", zap.String("path", r.URL.Path), zap.Error(err))
		s.render(w, r, status, "message", messagePage{Title: "Form not accepted", Message: msg, Link: "/inbox", LinkText: "Back to the inbox"})
	})
}

// invalidInput is the refusal for a form field that breaks an input limit:
// it names the field and the rule; retrying the same input will not help.
func invalidInput(label string, err error) refusal {
	var v *limits.Violation
	rule := err.Error()
	if errors.As(err, &v) {
		rule = v.Rule
	}
	return refusal{Title: "Not sent", Message: fmt.Sprintf("%s: %s. Nothing was changed; correct it and send again.", label, rule), Status: http.StatusUnprocessableEntity}
}
