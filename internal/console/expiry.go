package console

import (
	"fmt"
	"slices"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// expirySoonDays is how many days ahead the console marks a card's
// validity as running out, the original's 30-day reminder.
const expirySoonDays = 30

// Expiring-within bounds on the Cards page: at least a day, at most ten
// years (longer than any card type's validity).
const (
	minExpiringDays = 1
	maxExpiringDays = 3650
)

// expirableStates are the states in which a card still expires; the
// expiry sweep moves such a card to expired once valid_until passes.
var expirableStates = []cards.State{cards.StateIssued, cards.StateActive, cards.StateInactive}

// expiry is what the console says about a card's validity relative to
// the request's time: "expires in 12 days", "expired 3 days ago".
type expiry struct {
	Text string
	// Soon says the card expires within expirySoonDays; Past that
	// valid_until has passed but the sweep has not yet marked the card
	// expired.
	Soon bool
	Past bool
}

// expiryOf says when card expires, seen at now; nil for a card that does
// not expire any more (or never had a validity): only issued, active and
// inactive cards do. Days are calendar days in UTC, the calendar of the
// date printed as "Valid until", so that "expires tomorrow" is the day
// after today's date whatever the hour.
func expiryOf(card store.Card, now time.Time) *expiry {
	if card.ValidUntil == nil || !slices.Contains(expirableStates, card.State) {
		return nil
	}
	until := *card.ValidUntil
	if !until.After(now) {
		e := &expiry{Past: true}
		switch n := calendarDays(until, now); n {
		case 0:
			e.Text = "expired today"
		case 1:
			e.Text = "expired yesterday"
		default:
			e.Text = fmt.Sprintf("expired %d days ago", n)
		}
		return e
	}
	n := calendarDays(now, until)
	e := &expiry{Soon: n <= expirySoonDays}
	switch n {
	case 0:
		e.Text = "expires today"
	case 1:
		e.Text = "expires tomorrow"
	default:
		e.Text = fmt.Sprintf("expires in %d days", n)
	}
	return e
}

// calendarDays is the number of UTC dates from from's to to's.
func calendarDays(from, to time.Time) int {
	return int(utcDay(to).Sub(utcDay(from)) / (24 * time.Hour))
}

// utcDay is the start of t's date in UTC.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// expiringBefore is the bound of "Expiring within days days" seen at now:
// the end of the UTC date days ahead, so that the list holds exactly the
// cards the card page says expire "today", "tomorrow" or "in N days" with
// N at most days (and those already past).
func expiringBefore(now time.Time, days int) time.Time {
	return utcDay(now).AddDate(0, 0, days+1)
}
