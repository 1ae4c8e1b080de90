// Package limits holds the one definition of every input limit of the
// product contract ("bad input never breaks a card"). The starter's flags,
// the console's forms, the workflow's update validators and signal handler,
// `users upsert` and the policy loader all check through these functions, so
// a limit changes in one place and every entry point refuses the same input
// with the same words.
//
// The limits keep every payload far below Temporal's (2 MB per payload,
// 4 MB per gRPC message, 2 KB per search-attribute value): a comment of
// 2,000 code points is at most 8 KB of UTF-8, however many decisions a card
// collects.
package limits

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// MaxComment bounds a comment or a reason, in Unicode code points.
	MaxComment = 2000
	// MaxIdentifier bounds an actor, operator, approver, user id or role.
	MaxIdentifier = 128
	// MaxName bounds a given name or a surname.
	MaxName = 200
	// MaxAddress bounds a UPN or an e-mail address.
	MaxAddress = 254
	// MaxBody bounds a console form or any request body, in bytes.
	MaxBody = 64 << 10
	// MaxOrderItems bounds the users or cards of one batch order. The list
	// is the Order workflow's first input: 10,000 identifiers of at most
	// MaxIdentifier code points stay under Temporal's 2 MB per payload
	// (about 1.3 MB at worst, 370 KB for UUIDs).
	MaxOrderItems = 10000
)

// OrderList checks the length of a batch order's list: 1 to MaxOrderItems
// entries.
func OrderList(field string, n int) error {
	switch {
	case n == 0:
		return violation(field, "the list is empty: give 1 to %d", MaxOrderItems)
	case n > MaxOrderItems:
		return violation(field, "at most %d in one order (got %d): split the list into several orders", MaxOrderItems, n)
	}
	return nil
}

// Violation is an input that breaks a limit. Its message names the field
// and the rule, never the value: a refused value may be a megabyte long, or
// personal data, and the message is kept in a workflow's status.
type Violation struct {
	// Field is the input's name as the user knows it: "comment", "actor",
	// "--given-name".
	Field string
	// Rule says what the input must be, in plain words.
	Rule string
}

// Error reads "comment: at most 2000 characters (got 2345)".
func (v *Violation) Error() string { return v.Field + ": " + v.Rule }

func violation(field, format string, args ...any) error {
	return &Violation{Field: field, Rule: fmt.Sprintf(format, args...)}
}

// Comment checks a comment or reason: at most MaxComment code points, no NUL.
// An empty comment passes; whether one is required is a business rule.
func Comment(field, s string) error {
	if !utf8.ValidString(s) {
		return violation(field, "must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxComment {
		return violation(field, "at most %d characters (got %d)", MaxComment, n)
	}
	if strings.ContainsRune(s, 0) {
		return violation(field, "must not contain a NUL character")
	}
	return nil
}

// Identifier checks an actor, operator, approver, user id or role: 1 to
// MaxIdentifier code points, no whitespace or control characters.
func Identifier(field, s string) error {
	if err := length(field, s, 1, MaxIdentifier); err != nil {
		return err
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return violation(field, "must not contain whitespace or control characters")
		}
	}
	return nil
}

// Name checks a given name or a surname: 1 to MaxName code points, no
// control characters, and not only spaces (an empty name would give a card
// whose common name is blank).
func Name(field, s string) error {
	if err := length(field, s, 1, MaxName); err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return violation(field, "must not be blank")
	}
	if hasControl(s) {
		return violation(field, "must not contain control characters")
	}
	return nil
}

// Address checks a UPN or an e-mail address: 1 to MaxAddress code points,
// exactly one @ with text on both sides, no spaces or control characters
// (a CR or LF in an address could inject a mail header).
func Address(field, s string) error {
	if err := length(field, s, 1, MaxAddress); err != nil {
		return err
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return violation(field, "must not contain spaces or control characters")
		}
	}
	at := strings.Index(s, "@")
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return violation(field, "must hold exactly one @ with text on both sides, like name@example.org")
	}
	return nil
}

// UserStates are the states a directory user may be in.
var UserStates = []string{"active", "inactive"}

// UserState checks a directory user's state.
func UserState(field, s string) error {
	for _, state := range UserStates {
		if s == state {
			return nil
		}
	}
	return violation(field, "must be one of %s", strings.Join(UserStates, ", "))
}

func length(field, s string, lowest, highest int) error {
	if !utf8.ValidString(s) {
		return violation(field, "must be valid UTF-8 text")
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < lowest && lowest == 1:
		return violation(field, "must not be empty")
	case n < lowest:
		return violation(field, "at least %d characters (got %d)", lowest, n)
	case n > highest:
		return violation(field, "at most %d characters (got %d)", highest, n)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
