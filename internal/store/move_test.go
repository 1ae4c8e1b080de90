package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// lifecycle is a store with room for concurrent statements and helpers to
// put cards in any state.
type lifecycle struct {
	t   *testing.T
	st  *store.Store
	url string
}

func newLifecycle(t *testing.T) *lifecycle {
	t.Helper()
	url := testkit.Database(t)
	st, err := store.Open(context.Background(), url, store.PoolOptions{MaxOpen: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &lifecycle{t: t, st: st, url: url}
}

// card inserts a card of user (created when new) and card type in state.
func (l *lifecycle) card(user, cardType string, state cards.State) string {
	l.t.Helper()
	id := uuid.NewString()
	if _, err := l.st.DB.Exec(`INSERT INTO users (id, state) VALUES ($1, 'active') ON CONFLICT DO NOTHING`, user); err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
		VALUES ($1, $2, $3, 'Carol Cole', 'carol@example.test', $4, 'olivia', $5)`, id, user, cardType, state, "card-"+id); err != nil {
		l.t.Fatal(err)
	}
	return id
}

func (l *lifecycle) events(cardID string) []store.Event {
	l.t.Helper()
	events, err := l.st.Events(context.Background(), cardID)
	if err != nil {
		l.t.Fatal(err)
	}
	return events
}

var at = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// A move is guarded by its from states, writes its audit row with the
// transition's name and its token, stores what it carries, queues its
// e-mail, and a retry with the same token writes nothing.
func TestMoveIsGuardedAndIdempotent(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	id := l.card("carol", "standard", cards.StateApproved)
	validUntil := at.Add(26280 * time.Hour)
	issue := store.Move{CardID: id, From: []cards.State{cards.StateApproved, cards.StateRegistered, cards.StateFailed}, To: cards.StateIssued,
		Event: "issue", Actor: "olivia", Comment: "produced at station-1", At: at, Token: "issue/" + id + "/1",
		ValidUntil: &validUntil, ChipUID: "04a1b2c3d4e5f6", Station: "station-1",
		Notify: &store.OutboxEvent{Event: "issued", Input: []byte(`{"event":"issued"}`)}}
	c, changed, err := l.st.Move(ctx, issue)
	if err != nil || !changed {
		t.Fatalf("issue: changed %v, %v", changed, err)
	}
	if c.State != cards.StateIssued || c.ValidUntil == nil || !c.ValidUntil.Equal(validUntil) || c.ChipUID != "04a1b2c3d4e5f6" || c.Station != "station-1" {
		t.Fatalf("issued card: %+v", c)
	}
	again, changed, err := l.st.Move(ctx, issue)
	if err != nil || changed || again.State != cards.StateIssued {
		t.Fatalf("retry: %s, changed %v, %v; want issued, unchanged, no error", again.State, changed, err)
	}
	ev := l.events(id)
	if len(ev) != 1 || ev[0].Transition != "issue" || ev[0].FromState.String != "approved" || ev[0].ToState != "issued" || ev[0].Comment != "produced at station-1" {
		t.Fatalf("events after a retry: %+v", ev)
	}
	if n := l.st.Count(t, `SELECT count(*) FROM notification_outbox WHERE card_id = $1 AND event = 'issued'`, id); n != 1 {
		t.Fatalf("%d issued e-mails queued, want 1", n)
	}
	// Another operation that needs approved is refused, naming the state.
	other := issue
	other.Token, other.Notify = "issue/"+id+"/2", nil
	other.From = []cards.State{cards.StateApproved}
	var invalid *store.ErrInvalidState
	if _, _, err := l.st.Move(ctx, other); !errors.As(err, &invalid) || invalid.State != cards.StateIssued || invalid.CancelledProduction {
		t.Fatalf("from approved on an issued card: %v, want ErrInvalidState issued", err)
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: uuid.NewString(), From: []cards.State{cards.StateIssued}, To: cards.StateActive,
		Event: "activate", Actor: "olivia", At: at, Token: "t"}); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("no such card: %v, want ErrNoRows", err)
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, To: cards.StateActive, Event: "activate", At: at, Token: "t"}); err == nil {
		t.Fatal("a move without from states was accepted")
	}
}

// failed → failed is a transition too (Repeat production that fails
// again); its token keeps a retry from writing twice, and Cancel production
// makes the card final.
func TestFailedToFailedAndCancelledProduction(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	id := l.card("carol", "standard", cards.StateFailed)
	fail := store.Move{CardID: id, From: []cards.State{cards.StateApproved, cards.StateRegistered, cards.StateFailed}, To: cards.StateFailed,
		Event: "fail", Actor: "system", Comment: "ribbon out", At: at, Token: "fail/" + id + "/2"}
	for i, want := range []bool{true, false} {
		if _, changed, err := l.st.Move(ctx, fail); err != nil || changed != want {
			t.Fatalf("fail %d: changed %v, %v; want %v", i, changed, err, want)
		}
	}
	cancel := store.Move{CardID: id, From: []cards.State{cards.StateFailed}, To: cards.StateFailed, Event: "cancel-production",
		Actor: "olivia", Comment: "printer gone", At: at, Token: "cancel/" + id, CancelProduction: true}
	c, changed, err := l.st.Move(ctx, cancel)
	if err != nil || !changed || !c.ProductionCancelled {
		t.Fatalf("cancel: %+v, changed %v, %v", c, changed, err)
	}
	if _, changed, err := l.st.Move(ctx, cancel); err != nil || changed {
		t.Fatalf("cancel retried: changed %v, %v", changed, err)
	}
	fail.Token = "fail/" + id + "/3"
	var invalid *store.ErrInvalidState
	if _, _, err := l.st.Move(ctx, fail); !errors.As(err, &invalid) || invalid.State != cards.StateFailed || !invalid.CancelledProduction {
		t.Fatalf("a move of a cancelled card: %v, want ErrInvalidState failed, cancelled", err)
	}
	var names []string
	for _, e := range l.events(id) {
		names = append(names, e.Transition)
	}
	if len(names) != 2 || names[0] != "fail" || names[1] != "cancel-production" {
		t.Fatalf("events %v, want [fail cancel-production]", names)
	}
}

// Two activations of two cards of one user at once, with the
// multipleActive rule: exactly one wins, the other is refused naming the
// winner. Run for several users, all at once.
func TestConcurrentActivationsOfOneUserOneWins(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	const users = 6
	type pair struct{ a, b string }
	pairs := make([]pair, users)
	for i := range pairs {
		user := "user-" + uuid.NewString()[:8]
		pairs[i] = pair{l.card(user, "standard", cards.StateIssued), l.card(user, "standard", cards.StateIssued)}
	}
	type result struct {
		card    string
		changed bool
		err     error
	}
	results := make([][2]result, users)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range pairs {
		for j, id := range []string{p.a, p.b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, changed, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateIssued}, To: cards.StateActive,
					Event: "activate", Actor: "olivia", At: at, Token: "activate/" + id, NoOtherActive: true})
				results[i][j] = result{id, changed, err}
			}()
		}
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		var winners []string
		var refused *store.ErrAnotherActiveCard
		for _, one := range r {
			switch {
			case one.err == nil && one.changed:
				winners = append(winners, one.card)
			case errors.As(one.err, &refused):
			default:
				t.Fatalf("user %d: card %s: changed %v, %v", i, one.card, one.changed, one.err)
			}
		}
		if len(winners) != 1 || refused == nil || refused.CardID != winners[0] {
			t.Fatalf("user %d: winners %v, refusal %v; want exactly one winner, named by the refusal", i, winners, refused)
		}
	}
	// Without the rule (multipleActive: true) both may be active; another
	// card type is not counted either.
	user := "user-multi"
	a, b := l.card(user, "standard", cards.StateIssued), l.card(user, "standard", cards.StateIssued)
	c := l.card(user, "visitor", cards.StateIssued)
	for _, id := range []string{a, b} {
		if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateIssued}, To: cards.StateActive,
			Event: "activate", Actor: "olivia", At: at, Token: "activate/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: c, From: []cards.State{cards.StateIssued}, To: cards.StateActive,
		Event: "activate", Actor: "olivia", At: at, Token: "activate/" + c, NoOtherActive: true}); err != nil {
		t.Fatalf("a visitor card next to active standard cards: %v", err)
	}
}

// What the activities read around a move: the user's other active card,
// when production began, and a chip UID on a second card refused.
func TestActiveCardOfProductionStartAndChipUID(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	a, b := l.card("carol", "standard", cards.StateActive), l.card("carol", "standard", cards.StateIssued)
	if got, err := l.st.ActiveCardOf(ctx, "carol", "standard", b); err != nil || got != a {
		t.Fatalf("active card of carol: %q, %v; want %s", got, err, a)
	}
	if got, err := l.st.ActiveCardOf(ctx, "carol", "standard", a); err != nil || got != "" {
		t.Fatalf("active card other than the active one: %q, %v", got, err)
	}
	if _, err := l.st.ProductionStartedAt(ctx, b); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("never produced: %v", err)
	}
	c := l.card("carol", "visitor", cards.StateApproved)
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: c, From: []cards.State{cards.StateApproved}, RunID: "r", Prefix: "V", At: at}); err != nil {
		t.Fatal(err)
	}
	if started, err := l.st.ProductionStartedAt(ctx, c); err != nil || !started.Equal(at) {
		t.Fatalf("production started %v, %v; want %v", started, err, at)
	}
	issue := func(id, token string) error {
		_, _, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateApproved}, To: cards.StateIssued,
			Event: "issue", At: at, Token: token, ChipUID: "04ffee"})
		return err
	}
	if err := issue(c, "issue/c"); err != nil {
		t.Fatal(err)
	}
	if err := issue(l.card("dave", "visitor", cards.StateApproved), "issue/d"); !errors.Is(err, store.ErrChipUIDTaken) {
		t.Fatalf("a chip on two cards: %v, want ErrChipUIDTaken", err)
	}
}
