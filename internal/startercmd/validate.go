package startercmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cardflow/cardflow/internal/limits"
)

// jsonRequested says whether args ask for --json, for errors found before
// the flags could be parsed; "--" ends the flags.
func jsonRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			on, err := strconv.ParseBool(v)
			return err == nil && on
		}
	}
	return false
}

// check refuses global settings that cannot work, before anything is sent.
func (g *Globals) check() error {
	if g.Timeout <= 0 {
		return &usageError{fmt.Sprintf("--timeout (CARDS_TIMEOUT) must be positive, got %s: it is how long the starter waits for an answer (default 60s)", g.Timeout)}
	}
	if g.TemporalWait < 0 {
		return &usageError{fmt.Sprintf("--temporal-wait (CARDS_TEMPORAL_WAIT) must not be negative, got %s: it is how long to retry while Temporal is unreachable (0 gives up at once)", g.TemporalWait)}
	}
	return nil
}

// inputs gathers the limit violations among checks (the results of the
// internal/limits functions, one per flag) into one usage error that names
// every flag and its rule, or returns nil when all passed: an operator
// fixes a command line once, not once per flag.
func inputs(checks ...error) error {
	var rules []string
	for _, err := range checks {
		var v *limits.Violation
		switch {
		case err == nil:
		case errors.As(err, &v):
			rules = append(rules, v.Error())
		default:
			return err
		}
	}
	if len(rules) == 0 {
		return nil
	}
	return &usageError{strings.Join(rules, "; ")}
}

// optional checks s with check unless it is empty: an optional flag left out.
func optional(check func(field, s string) error, field, s string) error {
	if s == "" {
		return nil
	}
	return check(field, s)
}

// quoted shows a refused value in a message when it is short enough to
// help, and only its length otherwise: a mistyped UUID is worth repeating,
// a megabyte pasted by mistake is not.
func quoted(s string) string {
	if n := utf8.RuneCountInString(s); n > 64 {
		return fmt.Sprintf("(a value of %d characters)", n)
	}
	return strconv.Quote(s)
}
