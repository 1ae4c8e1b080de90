package startercmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/temporalconn"
)

// output prints answers for people or, with --json, for programs.
type output struct {
	json   bool
	stdout io.Writer
	stderr io.Writer
}

// refusal is a business refusal found by the starter itself (no such request,
// already decided), reported like the workflow's own refusals.
type refusal = cardops.Refusal

// failure is a technical failure with a name for --json output.
type failure struct {
	Type string
	Err  error
}

func (f *failure) Error() string { return f.Err.Error() }
func (f *failure) Unwrap() error { return f.Err }

// usageError is bad input that the flag parser could not catch.
type usageError struct{ Message string }

func (u *usageError) Error() string { return u.Message }

type errorDoc struct {
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// classify maps an error to the contract's exit code and error type.
func classify(err error) (code int, errType, message string) {
	var (
		usage     *usageError
		ref       *refusal
		appErr    *temporal.ApplicationError
		fail      *failure
		nf        *serviceerror.NotFound
		sealed    *codec.DecodeError
		down      *cardops.UnreachableError
		notYet    *cardops.NotYetDurableError
		violation *limits.Violation
		// setting before fail: ops() wraps a dial error as a failure.
		setting *temporalconn.SettingError
	)
	switch {
	case errors.As(err, &sealed):
		// Before the application error: a result the starter cannot read is
		// a configuration problem whatever the workflow answered.
		return ExitFailure, "CannotDecrypt", "cannot read Temporal's answer: " + err.Error()
	case errors.As(err, &down):
		return ExitFailure, "TemporalUnreachable", down.Error()
	case errors.As(err, &notYet):
		return ExitFailure, "NotYetDurable", notYet.Error()
	case errors.As(err, &usage):
		return ExitUsage, "BadUsage", usage.Message
	case errors.As(err, &violation):
		return ExitUsage, "BadUsage", violation.Error()
	case errors.As(err, &setting):
		// A Temporal address or namespace that cannot work is bad input
		// too, from a flag or the environment.
		return ExitUsage, setting.Kind, setting.Message
	case errors.As(err, &ref):
		return ExitRefused, ref.Type, ref.Message
	case errors.As(err, &appErr):
		switch {
		case cards.IsBusinessError(appErr.Type()):
			return ExitRefused, appErr.Type(), appErr.Message()
		case appErr.Type() == cards.ErrInvalidDecision || appErr.Type() == cards.ErrInvalidInput:
			return ExitUsage, appErr.Type(), appErr.Message()
		case strings.HasPrefix(appErr.Message(), codec.UnreadableFailurePrefix):
			// A failure the worker encrypted with a key this starter lacks;
			// its type, if any, is the SDK's Go type name (a worker that
			// could not read this starter's payload reports that).
			return ExitFailure, "CannotDecrypt", "the worker's answer is encrypted with a key this starter does not have, or the worker could not read the request: " +
				strings.TrimPrefix(appErr.Message(), codec.UnreadableFailurePrefix) + " (the worker and the starter need the same CARDS_CODEC_KEYS)"
		}
		return ExitFailure, appErr.Type(), appErr.Message()
	case errors.As(err, &fail):
		return ExitFailure, fail.Type, fail.Error()
	case errors.As(err, &nf):
		return ExitRefused, cards.ErrNotFound, nf.Error()
	}
	return ExitFailure, "Error", err.Error()
}

// fail reports err and returns the exit code.
func (o *output) fail(err error) int {
	code, errType, message := classify(err)
	if errType == "" {
		// An application error without a type (a failure another client
		// or the SDK made): the promise is that every error has one.
		errType = "Error"
	}
	if o.json {
		var doc errorDoc
		doc.Error.Type, doc.Error.Message = errType, message
		o.writeJSON(doc)
	}
	fmt.Fprintf(o.stderr, "starter: %s: %s\n", errType, message)
	return code
}

func (o *output) writeJSON(v any) {
	enc := json.NewEncoder(o.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// status prints a status document, with a hint of what to do next.
func (o *output) status(s cards.Status, headline string) {
	if o.json {
		o.writeJSON(s)
		return
	}
	w := o.stdout
	if headline != "" {
		fmt.Fprintln(w, headline)
	}
	fmt.Fprintf(w, "  card:        %s\n", s.ID)
	fmt.Fprintf(w, "  workflow:    %s\n", s.WorkflowID)
	fmt.Fprintf(w, "  user:        %s (%s card)\n", s.UserID, s.CardType)
	fmt.Fprintf(w, "  common name: %s\n", s.CommonName)
	fmt.Fprintf(w, "  UPN:         %s\n", s.UPN)
	fmt.Fprintf(w, "  state:       %s\n", s.State)
	fmt.Fprintf(w, "  requested by %s\n", s.RequestedBy)
	if s.ApprovalsRequired > 0 {
		fmt.Fprintf(w, "  approvals:   %d of %d", len(s.Approvals), s.ApprovalsRequired)
		names := make([]string, 0, len(s.Approvals))
		for _, a := range s.Approvals {
			names = append(names, a.Actor)
		}
		if len(names) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(names, ", "))
		}
		fmt.Fprintln(w)
	}
	if s.ExpiresAt != nil && s.State == cards.StateRequested {
		fmt.Fprintf(w, "  expires at:  %s\n", s.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if d := s.Decision; d != nil {
		fmt.Fprintf(w, "  decision:    %s by %s at %s", d.To, d.Actor, d.At.UTC().Format(time.RFC3339))
		if d.Comment != "" {
			fmt.Fprintf(w, ": %s", d.Comment)
		}
		fmt.Fprintln(w)
	}
	if s.CardNumber != "" {
		fmt.Fprintf(w, "  card number: %s\n", s.CardNumber)
	}
	if s.ValidUntil != nil {
		fmt.Fprintf(w, "  valid until: %s\n", s.ValidUntil.UTC().Format("2006-01-02"))
	}
	for _, c := range s.Certificates {
		fmt.Fprintf(w, "  certificate: %-14s %-7s serial %s\n", c.Usage, c.Status, c.Serial)
	}
	if s.Operation != nil {
		fmt.Fprintf(w, "  operation:   %s: %s\n", s.Operation.Type, s.Operation.Step)
	}
	if a := s.Approval; a != nil {
		approvalLines(w, a)
	}
	if s.FailureReason != "" {
		fmt.Fprintf(w, "  failed:      %s\n", s.FailureReason)
	}
	if s.Waiting != "" {
		fmt.Fprintf(w, "  waiting:     %s\n", strings.TrimPrefix(s.Waiting, "waiting: "))
	}
	if op := s.Operation; op != nil && op.Waiting != "" && op.Waiting != s.Waiting {
		fmt.Fprintf(w, "  waiting:     %s (%s)\n", op.Waiting, op.Type)
	}
	for _, ig := range s.Ignored {
		fmt.Fprintf(w, "  ignored:     %s from %q: %s\n", ig.Signal, ig.Actor, ig.Reason)
	}
	for _, n := range s.Notifications {
		// The event as people read it: "reactivated", not the run that
		// keys each reactivation's e-mail (the time tells them apart).
		fmt.Fprintf(w, "  e-mail:      %s to %s at %s: %s\n", cards.EventLabel(n.Event), n.Recipient, n.At.UTC().Format(time.RFC3339), n.Outcome)
	}
	switch {
	case s.Approval != nil:
		fmt.Fprintf(w, "Next: starter approve --card %s --approver NAME   (or reject with --comment REASON, or postpone)\n", s.ID)
	case s.Operation != nil:
	case s.State == cards.StateRequested:
		fmt.Fprintf(w, "Next: starter approve --card %s --approver NAME   (or reject with --comment REASON)\n", s.ID)
	case s.State == cards.StateApproved:
		fmt.Fprintf(w, "Next: starter issue --card %s   (produce it at a print station)\n", s.ID)
	case s.State == cards.StateIssued:
		fmt.Fprintf(w, "Next: starter activate --card %s   (once the holder has the card)\n", s.ID)
	}
}

// approvalLines print the approval open on the card: whose operation, how
// many approvals of how many and by whom, until when, who may decide, and
// each approver's latest postponement with its comment.
func approvalLines(w io.Writer, a *cards.OpenApproval) {
	fmt.Fprintf(w, "  approval:    %s, %d of %d", a.Operation, len(a.Approvals), a.ApprovalsRequired)
	names := make([]string, 0, len(a.Approvals))
	for _, ap := range a.Approvals {
		names = append(names, ap.Actor)
	}
	if len(names) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "; requested by %s, decided by role %s", a.RequestedBy, a.ApproverRole)
	if a.ExpiresAt != nil {
		fmt.Fprintf(w, "; expires %s", a.ExpiresAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	for _, p := range a.Postponed {
		fmt.Fprintf(w, "  postponed:   by %s at %s", p.Actor, p.At.UTC().Format(time.RFC3339))
		if p.Comment != "" {
			fmt.Fprintf(w, ": %s", p.Comment)
		}
		fmt.Fprintln(w)
	}
}

// sealedAnswer keeps only the codec's explanation of an answer the starter
// could not decrypt and, for a command that changes something, warns that it
// may have taken effect: the worker reads a request sent in clear, and only
// its encrypted answer is lost.
func sealedAnswer(command string, err error) error {
	var sealed *codec.DecodeError
	if !errors.As(err, &sealed) {
		return err
	}
	switch strings.Fields(command + " x")[0] {
	case "request", "approve", "reject", "cancel":
		return fmt.Errorf("%w; the %s may have been carried out: once CARDS_CODEC_KEYS is set, check with starter status", sealed, strings.Fields(command)[0])
	}
	return sealed
}
