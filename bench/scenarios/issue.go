package scenarios

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cards"
)

// Issue is a card's way from request to use: a request without approval
// (a visitor card, approved at once), Issue card at the run's print
// station (cardflow: the real station rendering the card and writing its
// files, two certificates from the real CFSSL CA, put on hold and checked
// by OCSP, a PIN letter), then Activate card (the certificates released).
// The yardsticks do the same Temporal steps with empty activities.
type Issue struct{}

// issueEvents is the audit trail of an issued and activated visitor card:
// approved at the request, the production's start (store.EventProduce),
// issued, active.
const issueEvents = 4

// certificatesPerCard: the default usages, authentication and signing.
const certificatesPerCard = 2

// Name selects it in -scenarios.
func (Issue) Name() string { return "issue" }

// Description is its line in -help.
func (Issue) Description() string {
	return "request a card without approval, issue it at a print station (real station and CFSSL CA), activate it (3 state changes)"
}

// Steps are the request and the two operations, timed apart.
func (Issue) Steps() []string { return []string{"request", "issue", "activate"} }

// Produces: the run starts the CA and cardflow's print station.
func (Issue) Produces() bool { return true }

// Setup puts each card's user in the directory, which the request checks.
func (Issue) Setup(ctx context.Context, e *engine.Env, cs []engine.Card) error {
	return engine.AddUsers(ctx, e, cs)
}

// Run requests the card, issues it once approved and activates it once
// issued.
func (Issue) Run(ctx context.Context, sys engine.Running, card engine.Card, step engine.StepFunc) {
	if step("request", func() error { return sys.Request(ctx, card, engine.CardRequest{}) }) != nil {
		return
	}
	if step("issue", func() error { return sys.Issue(ctx, card) }) != nil {
		return
	}
	_ = step("activate", func() error { return sys.Activate(ctx, card) })
}

// StateChanges are approved, issued and active.
func (Issue) StateChanges() int { return 3 }

// MailsPerCard: the holder's "issued" and "activated" e-mails are queued,
// but the bench's users have no address, so nothing is sent.
func (Issue) MailsPerCard() int { return 0 }

// Verify checks every card active with its audit trail, and its two
// certificates recorded good (released at the CA).
func (s Issue) Verify(ctx context.Context, e *engine.Env, cs []engine.Card) ([]string, error) {
	problems, err := engine.CheckCards(ctx, e, s.Name(), cs, cards.StateActive, issueEvents, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var good, other int
	if err := e.DB.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE status = 'good'), count(*) FILTER (WHERE status <> 'good')
		FROM card_certificates WHERE card_id = ANY($1::uuid[])`, pq.Array(ids)).Scan(&good, &other); err != nil {
		return nil, err
	}
	if good != certificatesPerCard*len(cs) || other != 0 {
		problems = append(problems, fmt.Sprintf("%s: %d certificates good and %d not, want %d good (%d per card)",
			s.Name(), good, other, certificatesPerCard*len(cs), certificatesPerCard))
	}
	return problems, nil
}
