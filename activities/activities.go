// Package activities holds the side effects of the Request card use case: the
// policy lookup, the user directory, the mapping, and PostgreSQL writes. They
// are methods on one struct that holds their dependencies, and each of them is
// safe to retry: Temporal delivers at least once.
package activities

import (
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
)

// Activities is registered with the worker; its methods are the activities.
type Activities struct {
	Store  *store.Store
	Policy *policy.Policy
	// Metrics counts cards as they are written; nil records nothing.
	Metrics Recorder
	// Notifier sends e-mail notifications; nil turns them off, and then
	// PersistCard and TransitionCard queue nothing either.
	Notifier Notifier
	// OnQueued, when set, is called after a card write queued an e-mail in
	// the notification outbox (the worker pokes its dispatcher with it, so
	// the e-mail goes out now instead of at the next poll). It must not block.
	OnQueued func()
	// RetryFor is how long a request retries infrastructure errors before
	// it gives up (zero means DefaultRetryFor); the workflow gets it with
	// the policy, so the history records it.
	RetryFor time.Duration
	// RequireEncryption is CARDS_CODEC_REQUIRE; the workflow gets it with the
	// policy, so the history records whether plaintext signals are ignored.
	RequireEncryption bool
	// Secrets seal and open the cards' PINs and PUKs (CARDS_SECRET_KEYS);
	// nil refuses to produce a card or deliver a PIN, naming the variable.
	Secrets *secrets.Keys
	// PINLetterDir is CARDS_PIN_LETTER_DIR, where DeliverPIN writes PIN
	// letters (<dir>/<card id>/pin-letter.pdf); empty means
	// pinletter.DefaultDir.
	PINLetterDir string
	// PINMailer sends PINs by e-mail (pinDelivery: email); nil uses the
	// Notifier when it can (internal/notify's Service can).
	PINMailer PINMailer
	// CA holds, releases and revokes the cards' certificates (the CFSSL
	// adapter, or another behind the port); nil refuses those steps,
	// naming CARDS_CA_URL.
	CA ca.Authority
	// Requester starts Request card for a Request multiple cards order's
	// items (the worker's Temporal client through cardops); nil refuses
	// those items, naming it.
	Requester CardRequester

	// newPIN makes a card's PIN: secrets.NewPIN, which a test replaces to
	// plant a PIN it then looks for everywhere.
	newPIN func(length int) (secrets.PIN, error)
	// mapper is CardsMapUserToCard, shared with the console's preview; it
	// parses each mapping template once.
	mapper policy.Mapper
}

// DefaultRetryFor is the contract's "at least an hour": long enough for a
// database failover, a restart for an upgrade or a network blip.
const DefaultRetryFor = time.Hour

// New returns the activities over a store and a validated policy.
func New(s *store.Store, p *policy.Policy) *Activities {
	return &Activities{Store: s, Policy: p}
}

// Recorder receives the business events worth a metric. Activities call it
// only when a write took effect, so retries are not counted twice.
type Recorder interface {
	CardPersisted(state cards.State)
	CardDecided(state cards.State, sinceRequest time.Duration)
}

type noRecorder struct{}

func (noRecorder) CardPersisted(cards.State)              {}
func (noRecorder) CardDecided(cards.State, time.Duration) {}

func (a *Activities) recorder() Recorder {
	if a.Metrics == nil {
		return noRecorder{}
	}
	return a.Metrics
}
