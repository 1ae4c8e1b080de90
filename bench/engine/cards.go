package engine

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// Card is one card to drive: its id and, for the subject's cards, the user
// in the directory it is for (the yardsticks read no directory).
type Card struct {
	ID     string
	UserID string
}

// NewCards are n fresh cards whose users are named userPrefix and their
// index; AddUsers puts those users in the directory.
func NewCards(userPrefix string, n int) []Card {
	out := make([]Card, n)
	for i := range out {
		out[i] = Card{ID: uuid.NewString(), UserID: fmt.Sprintf("%s%d", userPrefix, i)}
	}
	return out
}

// anonymousCards are cards for the yardsticks, which read no directory.
func anonymousCards(n int) []Card {
	out := make([]Card, n)
	for i := range out {
		out[i] = Card{ID: uuid.NewString()}
	}
	return out
}

// cardIDs lists the cards' ids.
func cardIDs(cs []Card) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// AddUsers puts the cards' users in the directory, active and without an
// e-mail address (so that their "decided" e-mails are skipped).
func AddUsers(ctx context.Context, e *Env, cs []Card) error {
	users := make([]string, len(cs))
	for i, c := range cs {
		users[i] = c.UserID
	}
	if _, err := e.DB.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT u, 'Given' || i, 'Surname' || i, 'u' || i || '@example.com', '', 'active'
		FROM unnest($1::text[]) WITH ORDINALITY AS t(u, i)`, pq.Array(users)); err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	return nil
}

// CheckCards checks in PostgreSQL that every card of scenario exists once,
// in state, with events audit rows each besides its votes and votes vote
// rows each (store.VoteRow: the approval process writes each accepted
// approve, reject or postpone as a row of its own), requested by the
// bench's operator and decided by its approver, and returns what is wrong.
// The counts are checked card by card, so that a card written twice is not
// hidden by one written too little.
func CheckCards(ctx context.Context, e *Env, scenario string, cs []Card, state cards.State, events, votes int) ([]string, error) {
	ids := cardIDs(cs)
	var rows []struct {
		State  string `db:"state"`
		Cards  int    `db:"cards"`
		Events int    `db:"events"`
		Votes  int    `db:"votes"`
		Off    int    `db:"off"`
	}
	err := e.DB.SelectContext(ctx, &rows, `
		WITH per AS (
			SELECT c.id, c.state,
				count(ev.id) FILTER (WHERE NOT `+store.VoteRow+`) AS events,
				count(ev.id) FILTER (WHERE `+store.VoteRow+`) AS votes
			FROM cards c LEFT JOIN card_events ev ON ev.card_id = c.id
			WHERE c.id = ANY($1::uuid[]) GROUP BY c.id, c.state
		)
		SELECT state, count(*) AS cards, sum(events) AS events, sum(votes) AS votes,
			count(*) FILTER (WHERE events <> $2 OR votes <> $3) AS off
		FROM per GROUP BY state`, pq.Array(ids), events, votes)
	if err != nil {
		return nil, err
	}
	var problems []string
	total := 0
	for _, r := range rows {
		total += r.Cards
		if cards.State(r.State) != state {
			problems = append(problems, fmt.Sprintf("%s: %d cards in state %s, want %s", scenario, r.Cards, r.State, state))
		}
		if r.Off > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d of %d cards without %d audit events and %d votes each (%d events, %d votes in all)",
				scenario, r.Off, r.Cards, events, votes, r.Events, r.Votes))
		}
	}
	// The checks ran against the bench's staff, not names the workflow
	// took on trust.
	var strangers int
	if err := e.DB.GetContext(ctx, &strangers, `
		SELECT (SELECT count(*) FROM cards WHERE id = ANY($1::uuid[]) AND requested_by <> $2)
		     + (SELECT count(*) FROM card_events WHERE card_id = ANY($1::uuid[]) AND from_state = 'requested' AND actor <> $3)`,
		pq.Array(ids), Operator, Approver); err != nil {
		return nil, err
	}
	if strangers > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d cards requested or decided by someone other than %s and %s", scenario, strangers, Operator, Approver))
	}
	if total != len(cs) {
		problems = append(problems, fmt.Sprintf("%s: %d cards stored, want %d", scenario, total, len(cs)))
	}
	return problems, nil
}
