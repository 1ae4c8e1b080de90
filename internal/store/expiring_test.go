package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// expiryFixture writes cards with a state and a valid_until of their own.
type expiryFixture struct {
	t  *testing.T
	st *store.Store
}

func newExpiryFixture(t *testing.T) expiryFixture {
	t.Helper()
	st, _ := testkit.Store(t,
		cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", State: cards.ActiveUserState},
		cards.User{ID: "bea", GivenName: "Bea", Surname: "Bauer", State: cards.ActiveUserState})
	return expiryFixture{t: t, st: st}
}

// card writes a card of userID and cardType in state, valid until
// validUntil (nil: never set), with the given id ("" for a new one).
func (x expiryFixture) card(id, userID, cardType string, state cards.State, validUntil *time.Time) string {
	x.t.Helper()
	if id == "" {
		id = uuid.NewString()
	}
	ctx := context.Background()
	if _, _, err := x.st.InsertCard(ctx, store.Card{
		ID: id, UserID: userID, CardType: cardType, CommonName: "CN " + userID, UPN: userID + "@example.com",
		State: state, RequestedBy: "olivia", WorkflowID: "request-card-" + id,
	}, time.Now()); err != nil {
		x.t.Fatal(err)
	}
	if _, err := x.st.DB.ExecContext(ctx, `UPDATE cards SET valid_until = $2 WHERE id = $1`, id, validUntil); err != nil {
		x.t.Fatal(err)
	}
	return id
}

// all reads every page of f, limit cards at a time, and the number of
// pages it took.
func (x expiryFixture) all(f store.PageFilter, limit int) ([]store.Card, int) {
	x.t.Helper()
	var got []store.Card
	pages := 0
	f.Limit = limit
	for {
		page, err := x.st.ListCardsPage(context.Background(), f)
		if err != nil {
			x.t.Fatal(err)
		}
		pages++
		got = append(got, page.Cards...)
		if page.Next == "" {
			return got, pages
		}
		if pages > 100 {
			x.t.Fatal("paging does not end")
		}
		f.After = page.Next
	}
}

func ids(cs []store.Card) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func timePtr(t time.Time) *time.Time { return &t }

// TestExpiringCardsSoonestFirstAcrossPages lists the cards that can expire
// before a moment: only issued, active and inactive ones, those already
// past included, ordered by valid_until then id (ties broken the same way
// on every page), none lost or repeated between pages of every size.
func TestExpiringCardsSoonestFirstAcrossPages(t *testing.T) {
	x := newExpiryFixture(t)
	now := time.Date(2029, 11, 1, 10, 0, 0, 0, time.UTC)
	tie := now.Add(48 * time.Hour)
	// Two cards expiring at the same instant, ids chosen so that id order
	// is the reverse of insertion order.
	tieB := x.card("ffffffff-0000-4000-8000-000000000001", "ada", "visitor", cards.StateActive, timePtr(tie))
	tieA := x.card("00000000-0000-4000-8000-000000000001", "bea", "visitor", cards.StateInactive, timePtr(tie))
	want := []string{
		x.card("", "ada", "standard", cards.StateActive, timePtr(now.Add(-72*time.Hour))), // past, not yet swept
		x.card("", "bea", "standard", cards.StateIssued, timePtr(now.Add(-time.Minute))),
		x.card("", "ada", "visitor", cards.StateIssued, timePtr(now.Add(time.Hour))),
		tieA, tieB,
		x.card("", "bea", "standard", cards.StateActive, timePtr(now.Add(10*24*time.Hour))),
	}
	// Not listed: beyond the bound, final or pre-issue states, no validity.
	x.card("", "ada", "standard", cards.StateActive, timePtr(now.Add(31*24*time.Hour)))
	x.card("", "ada", "standard", cards.StateExpired, timePtr(now.Add(-time.Hour)))
	x.card("", "bea", "standard", cards.StateLocked, timePtr(now.Add(time.Hour)))
	x.card("", "bea", "standard", cards.StateFailed, timePtr(now.Add(time.Hour)))
	x.card("", "ada", "standard", cards.StateApproved, nil)
	x.card("", "bea", "visitor", cards.StateActive, nil)

	f := store.PageFilter{ExpiringBefore: now.Add(30 * 24 * time.Hour)}
	for _, limit := range []int{1, 2, 4, 6, 25} {
		got, pages := x.all(f, limit)
		if !slices.Equal(ids(got), want) {
			t.Fatalf("limit %d: got %v\nwant %v", limit, ids(got), want)
		}
		if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	if got, _ := x.all(f, 25); got[0].ValidUntil == nil || !got[0].ValidUntil.Equal(now.Add(-72*time.Hour)) {
		t.Errorf("valid_until of the first card read back as %v", got[0].ValidUntil)
	}
}

// TestExpiringCombinesWithUserTypeAndState checks that the user, card type
// and state filters narrow the expiring list as they narrow the other.
func TestExpiringCombinesWithUserTypeAndState(t *testing.T) {
	x := newExpiryFixture(t)
	now := time.Now()
	soon := func(d time.Duration) *time.Time { return timePtr(now.Add(d)) }
	adaVisitor := x.card("", "ada", "visitor", cards.StateActive, soon(time.Hour))
	adaStandard := x.card("", "ada", "standard", cards.StateInactive, soon(2*time.Hour))
	beaVisitor := x.card("", "bea", "visitor", cards.StateIssued, soon(3*time.Hour))
	before := now.Add(24 * time.Hour)
	for _, tc := range []struct {
		f    store.PageFilter
		want []string
	}{
		{store.PageFilter{UserID: "ada"}, []string{adaVisitor, adaStandard}},
		{store.PageFilter{CardType: "visitor"}, []string{adaVisitor, beaVisitor}},
		{store.PageFilter{UserID: "ada", CardType: "visitor"}, []string{adaVisitor}},
		{store.PageFilter{State: cards.StateInactive}, []string{adaStandard}},
		{store.PageFilter{State: cards.StateRequested}, nil},
		{store.PageFilter{UserID: "nobody"}, nil},
	} {
		tc.f.ExpiringBefore = before
		got, _ := x.all(tc.f, 1)
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.f, ids(got), tc.want)
		}
	}
}

// TestExpiringBoundIsExclusive puts cards on either side of the bound, to
// the microsecond PostgreSQL keeps.
func TestExpiringBoundIsExclusive(t *testing.T) {
	x := newExpiryFixture(t)
	bound := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	inside := x.card("", "ada", "visitor", cards.StateActive, timePtr(bound.Add(-time.Microsecond)))
	x.card("", "bea", "visitor", cards.StateActive, timePtr(bound))
	x.card("", "bea", "visitor", cards.StateActive, timePtr(bound.Add(time.Microsecond)))
	got, _ := x.all(store.PageFilter{ExpiringBefore: bound}, 25)
	if !slices.Equal(ids(got), []string{inside}) {
		t.Fatalf("got %v, want only %s (a microsecond before the bound)", ids(got), inside)
	}
}

// TestExpiringAndNewestFirstCursorsDoNotMix: a page link of one list
// handed to the other is refused, not read as a position in it.
func TestExpiringAndNewestFirstCursorsDoNotMix(t *testing.T) {
	x := newExpiryFixture(t)
	ctx := context.Background()
	id := uuid.NewString()
	for _, f := range []store.PageFilter{
		{ExpiringBefore: time.Now(), After: store.EncodeCursor(time.Now(), id)},
		{After: store.EncodeExpiryCursor(time.Now(), id)},
		{ExpiringBefore: time.Now(), After: store.EncodeExpiryCursor(time.Now(), "not-a-uuid")},
		{ExpiringBefore: time.Now(), After: "garbage!"},
	} {
		if _, err := x.st.ListCardsPage(ctx, f); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%+v: %v, want ErrBadCursor", f, err)
		}
	}
	if _, err := x.st.ListCardsPage(ctx, store.PageFilter{ExpiringBefore: time.Now(), After: store.EncodeExpiryCursor(time.Now(), id)}); err != nil {
		t.Errorf("an expiring cursor on the expiring list: %v", err)
	}
}
