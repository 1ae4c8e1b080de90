package console

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// expiryNow is the console's clock in the expiry tests: late in the day,
// so that calendar days and 24-hour periods differ.
var expiryNow = time.Date(2029, 11, 1, 22, 30, 0, 0, time.UTC)

func TestExpiryIsSaidInCalendarDays(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		state      cards.State
		validUntil time.Time
		want       string
		soon, past bool
	}{
		{cards.StateActive, time.Date(2029, 11, 29, 22, 30, 0, 0, time.UTC), "expires in 28 days", true, false},
		{cards.StateIssued, expiryNow.Add(2 * time.Hour), "expires tomorrow", true, false}, // 00:30 the next day: 2 hours away, but tomorrow
		{cards.StateInactive, expiryNow.Add(time.Minute), "expires today", true, false},
		{cards.StateActive, time.Date(2029, 12, 1, 23, 59, 0, 0, time.UTC), "expires in 30 days", true, false},
		{cards.StateActive, time.Date(2029, 12, 2, 0, 0, 0, 0, time.UTC), "expires in 31 days", false, false},
		{cards.StateActive, expiryNow.Add(3 * 365 * day), "expires in 1095 days", false, false},
		{cards.StateActive, expiryNow, "expired today", false, true},
		{cards.StateActive, expiryNow.Add(-23 * time.Hour), "expired yesterday", false, true},
		{cards.StateInactive, expiryNow.Add(-3 * day), "expired 3 days ago", false, true},
	} {
		v := c.validUntil
		got := expiryOf(store.Card{State: c.state, ValidUntil: &v}, expiryNow)
		if got == nil || got.Text != c.want || got.Soon != c.soon || got.Past != c.past {
			t.Errorf("%s card valid until %s: %+v, want %q soon=%v past=%v", c.state, v, got, c.want, c.soon, c.past)
		}
	}
	v := expiryNow.Add(day)
	for _, state := range []cards.State{cards.StateExpired, cards.StateLocked, cards.StateFailed, cards.StateRequested} {
		if got := expiryOf(store.Card{State: state, ValidUntil: &v}, expiryNow); got != nil {
			t.Errorf("a %s card: %+v, want nothing said", state, got)
		}
	}
	if got := expiryOf(store.Card{State: cards.StateActive}, expiryNow); got != nil {
		t.Errorf("a card without validity: %+v", got)
	}
	// Expiring within 1 day: today and tomorrow, to the end of tomorrow (UTC).
	if got, want := expiringBefore(expiryNow, 1), time.Date(2029, 11, 3, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("expiringBefore(1 day) = %s, want %s", got, want)
	}
}

// expiryWorld is a console whose clock stands at expiryNow.
func expiryWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWithServer(t, testPolicy, Server{Now: func() time.Time { return expiryNow }})
}

// expiringCard writes a card for userID in state, valid until validUntil
// (nil: none).
func (w *world) expiringCard(userID, cardType string, state cards.State, validUntil *time.Time) string {
	w.t.Helper()
	id := w.card(userID, "olivia", cardType)
	if _, err := w.store.DB.ExecContext(context.Background(),
		`UPDATE cards SET state = $2, valid_until = $3 WHERE id = $1`, id, state, validUntil); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// days is n days from expiryNow (before it when negative).
func days(n int) *time.Time {
	t := expiryNow.AddDate(0, 0, n)
	return &t
}

// minuteAfterDays is a minute after days(n): still the same date.
func minuteAfterDays(n int) *time.Time {
	t := days(n).Add(time.Minute)
	return &t
}

func TestCardPageSaysWhenTheCardExpires(t *testing.T) {
	w := expiryWorld(t)
	b := w.as("alice")
	soon := w.expiringCard("carol", "standard", cards.StateActive, days(12))
	b.get("/cards/"+soon).has(t, `<dt>Valid until</dt><dd><time datetime="2029-11-13">2029-11-13</time> (<span class="expiry expiry-soon">expires in 12 days</span>)</dd>`)

	later := w.expiringCard("bob", "standard", cards.StateIssued, days(400))
	p := b.get("/cards/" + later)
	p.has(t, `(<span class="expiry">expires in 400 days</span>)`)
	p.lacks(t, "expiry-soon")

	past := w.expiringCard("dave", "visitor", cards.StateInactive, days(-3))
	b.get("/cards/"+past).has(t, `(<span class="expiry expiry-past">expired 3 days ago</span>; the expiry sweep will mark the card expired)`)

	for _, state := range []cards.State{cards.StateExpired, cards.StateLocked} {
		id := w.expiringCard("olivia", "visitor", state, days(-3))
		p := b.get("/cards/" + id)
		p.has(t, `<dt>Valid until</dt><dd><time datetime="2029-10-29">2029-10-29</time></dd>`)
		p.lacks(t, "expired 3 days ago", "expiry sweep")
	}
}

func TestCardsListExpiringWithin(t *testing.T) {
	w := expiryWorld(t)
	b := w.as("alice")
	people := w.people(30)
	// 30 active standard cards expiring 0..29 days ahead, in reverse of
	// creation order (the newest-first list would show them the other way).
	var soonest []string
	for i, p := range people {
		soonest = append([]string{w.expiringCard(p, "standard", cards.StateActive, minuteAfterDays(29-i))}, soonest...)
	}
	past := w.expiringCard("carol", "visitor", cards.StateInactive, days(-2))
	tomorrowVisitor := w.expiringCard("bob", "visitor", cards.StateIssued, days(1))
	beyond := w.expiringCard("alice", "standard", cards.StateActive, days(31))
	swept := w.expiringCard("dave", "standard", cards.StateExpired, days(-5))
	locked := w.expiringCard("olivia", "standard", cards.StateLocked, days(3))
	waiting := w.card("olivia", "olivia", "visitor")

	p := b.get("/cards?expiring=30")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	p.has(t, `<th scope="col">Valid until</th>`, `value="30"`, "Next page",
		`<time datetime="2029-10-30">2029-10-30</time> (<span class="expiry expiry-past">expired 2 days ago</span>)`,
		`(<span class="expiry expiry-soon">expires today</span>)`)
	p.lacks(t, "/cards/"+beyond, "/cards/"+swept, "/cards/"+locked, "/cards/"+waiting)
	inOrder(t, p, past, soonest[0], tomorrowVisitor, soonest[1], soonest[2])

	// The second page goes on where the first stopped, filter kept.
	next := link(t, p, `href="/cards?`, "after=")
	if !strings.Contains(next, "expiring=30") {
		t.Errorf("next page %q drops the filter", next)
	}
	p2 := b.get(next)
	p2.has(t, "/cards/"+soonest[29], "First page", `<th scope="col">Valid until</th>`)
	p2.lacks(t, "/cards/"+soonest[0], "/cards/"+past, "Next page")
	// Each card on exactly one of the two pages.
	for _, id := range append(soonest, past, tomorrowVisitor) {
		if n := strings.Count(p.body+p2.body, `href="/cards/`+id+`"`); n != 1 {
			t.Errorf("card %s shown %d times over the two pages", id, n)
		}
	}

	// Combined with the card type and the user.
	p = b.get("/cards?expiring=30&type=visitor")
	p.has(t, "/cards/"+past, "/cards/"+tomorrowVisitor)
	p.lacks(t, "/cards/"+soonest[0], "/cards/"+waiting, "Next page")
	inOrder(t, p, past, tomorrowVisitor)
	p = b.get("/cards?expiring=30&user=" + people[29])
	p.has(t, "/cards/"+soonest[0])
	p.lacks(t, "/cards/"+soonest[1], "/cards/"+past)
	p = b.get("/cards?expiring=1&user=bob&type=standard")
	p.has(t, "No issued, active or inactive card expires within 1 day with these filters.")

	// Expiring within 31 days reaches the card 31 days ahead; without the
	// filter the list is the newest-first one, without the column.
	b.get("/cards?expiring=31&user=alice").has(t, "/cards/"+beyond, "expires in 31 days")
	p = b.get("/cards")
	p.lacks(t, `<th scope="col">Valid until</th>`)
	inOrder(t, p, waiting, locked)
}

func TestCardsListRefusesABadExpiringWithin(t *testing.T) {
	w := expiryWorld(t)
	b := w.as("alice")
	id := w.expiringCard("carol", "visitor", cards.StateActive, days(3))
	for _, bad := range []string{"abc", "0", "-1", "3651", "1.5", "1e3", strings.Repeat("9", 40)} {
		p := b.get("/cards?" + url.Values{"expiring": {bad}, "state": {"approved"}, "user": {"carol"}, "type": {"visitor"}}.Encode())
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("expiring=%.20s: status %d, want 422", bad, p.status)
		}
		p.has(t, "Expiring within: a whole number of days from 1 to 3650. No cards are listed until it is corrected.",
			`aria-invalid="true"`,
			// The other filters are as they were.
			`<option value="approved" selected>`, `value="carol"`, `<option value="visitor" selected>`)
		p.lacks(t, "/cards/"+id, `<table class="list">`, "No card matches", "Next page")
		if len(bad) <= maxEchoedDays {
			p.has(t, fmt.Sprintf(`name="expiring" type="number" min="1" max="3650" step="1" inputmode="numeric" value="%s"`, bad))
		} else {
			p.lacks(t, bad)
		}
	}
	// The bounds themselves are accepted.
	for _, good := range []string{"1", "3650", " 7 "} {
		if p := b.get("/cards?expiring=" + url.QueryEscape(good)); p.status != http.StatusOK {
			t.Errorf("expiring=%q: status %d", good, p.status)
		}
	}
	// A newest-first page link on the expiring list is refused as a bad link.
	newestFirst := base64.RawURLEncoding.EncodeToString([]byte(time.Now().UTC().Format(time.RFC3339Nano) + "|" + id))
	p := b.get("/cards?expiring=30&after=" + newestFirst)
	if p.status != http.StatusBadRequest {
		t.Errorf("newest-first cursor on the expiring list: status %d", p.status)
	}
	p.has(t, "the page link is not valid")
}

// inOrder checks that the cards' links appear in the page in this order.
func inOrder(t *testing.T, p page, ids ...string) {
	t.Helper()
	last := -1
	for _, id := range ids {
		i := strings.Index(p.body, `href="/cards/`+id+`"`)
		if i < 0 {
			t.Errorf("card %s is not on the page", id)
			return
		}
		if i < last {
			t.Errorf("card %s is shown before the one it should follow", id)
		}
		last = i
	}
}

// link returns the first link of the page that starts with prefix and
// contains part, unescaped.
func link(t *testing.T, p page, prefix, part string) string {
	t.Helper()
	for rest := p.body; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			t.Fatalf("no link %s…%s on the page", prefix, part)
		}
		rest = rest[i+len(`href="`):]
		href := strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
		if strings.Contains(href, part) {
			return href
		}
	}
}
