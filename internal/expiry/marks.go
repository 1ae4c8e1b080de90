// Package expiry is the arithmetic of card expiry reminders, apart from
// SQL and Temporal: given a card's valid_until, when it was issued and the
// time of a sweep, which reminder is due. It is pure so that every case
// (a card issued inside a mark window, a sweep that missed days, daily
// reminders after the last mark) is a table row in a unit test.
package expiry

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DailyPrefix starts the mark id of a daily reminder: daily-2029-11-20,
// one per UTC day.
const DailyPrefix = "daily-"

// dayLayout is the date of a daily mark id, in UTC.
const dayLayout = "2006-01-02"

// Rule is a card type's reminder policy: the marks (how long before
// valid_until the holder is reminded) and whether daily reminders follow
// the last mark.
type Rule struct {
	// Marks are durations before valid_until, in any order.
	Marks []time.Duration `json:"marks"`
	// Daily sends a reminder each UTC day from a day after the last
	// (shortest) mark until valid_until.
	Daily bool `json:"daily"`
}

// Longest is the longest mark: a card whose valid_until is further away
// than that needs nothing from a sweep (zero when there are no marks).
func (r Rule) Longest() time.Duration {
	if len(r.Marks) == 0 {
		return 0
	}
	return slices.Max(r.Marks)
}

// MarkID names a mark in card_reminders and in the reminder's event
// (expiring-<id>): whole hours as 1440h, else whole minutes as 90m, else
// seconds as 45s (marks are whole seconds; the policy refuses others).
func MarkID(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return fmt.Sprintf("%ds", d/time.Second)
	}
}

// DailyID is the mark id of the daily reminder of now's UTC day.
func DailyID(now time.Time) string { return DailyPrefix + now.UTC().Format(dayLayout) }

// IsDaily reports whether a mark id is a daily reminder's.
func IsDaily(id string) bool { return strings.HasPrefix(id, DailyPrefix) }

// Due returns the reminder due at now for a card valid until validUntil
// and issued at issued (zero when unknown: every mark counts), or "" when
// none is:
//
//   - nothing once valid_until has passed (the card expires instead), nor
//     before the first (longest) mark;
//   - a mark whose time (valid_until - mark) was not after the issue never
//     counts: a card issued inside a mark window gets only the marks still
//     ahead;
//   - of the marks reached, the latest (shortest) is due: a sweep that
//     missed days sends the one reminder that is current, not a backlog;
//   - with daily, from a day after the last mark's time (or after the
//     issue, when that was later) until valid_until, the day's daily
//     reminder is due instead. With no marks there are no reminders at all.
//
// Whether the reminder was sent already is not Due's business: the store
// keeps one per card and mark id.
func Due(validUntil, issued, now time.Time, r Rule) string {
	if !now.Before(validUntil) || len(r.Marks) == 0 {
		return ""
	}
	if r.Daily {
		last := validUntil.Add(-slices.Min(r.Marks))
		if issued.After(last) {
			last = issued
		}
		if !now.Before(last.Add(24 * time.Hour)) {
			return DailyID(now)
		}
	}
	var due time.Duration = -1
	for _, m := range r.Marks {
		at := validUntil.Add(-m)
		if !issued.IsZero() && !at.After(issued) {
			continue // passed at issue
		}
		if !now.Before(at) && (due < 0 || m < due) {
			due = m
		}
	}
	if due < 0 {
		return ""
	}
	return MarkID(due)
}

// DaysLeft is how many days (rounded up) remain until validUntil at now,
// for the reminder's text; zero once it has passed.
func DaysLeft(validUntil, now time.Time) int {
	left := validUntil.Sub(now)
	if left <= 0 {
		return 0
	}
	return int((left + 24*time.Hour - 1) / (24 * time.Hour))
}
