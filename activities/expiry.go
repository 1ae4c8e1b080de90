package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/internal/store"
)

// SweepExpiryPageInput is one page of the expiry sweep: where it stands,
// how many cards a page holds, and the sweep's time (the same for every
// page, so one sweep has one "now" and one day for daily reminders).
type SweepExpiryPageInput struct {
	Cursor   store.ExpiryCursor `json:"cursor"`
	PageSize int                `json:"pageSize"`
	Now      time.Time          `json:"now"`
}

// SweepExpiryPageResult is what one page did: the cursor after it, whether
// the sweep is through, the cards looked at, the totals by card type, and
// the serials of expired cards' certificates that outlive them (for
// RevokeExpiredCertificates).
type SweepExpiryPageResult struct {
	Cursor  store.ExpiryCursor `json:"cursor"`
	Done    bool               `json:"done"`
	Visited int                `json:"visited"`
	Totals  expiry.Totals      `json:"totals"`
	Revoke  []string           `json:"revoke,omitempty"`
}

// DefaultExpiryPageSize is how many cards one SweepExpiryPage reads and
// writes: large enough that a page's three statements dwarf the activity's
// round trip, small enough that a page takes well under a second.
const DefaultExpiryPageSize = 1000

// SweepExpiryPage sweeps one page of the cards near or past their
// valid_until (keyset pagination over cards_expiry, only as far as now
// plus the longest reminder mark of the policy this worker loaded): it
// records the reminders due (once per card and mark, each with its
// expiring-<mark> e-mail in the same statement) and expires the cards
// past valid_until (actor system, audit row expire, the holder's expired
// e-mail), two set-based statements guarded by the cards' state. Running
// it again, or two at once, writes and sends nothing twice.
func (a *Activities) SweepExpiryPage(ctx context.Context, in SweepExpiryPageInput) (SweepExpiryPageResult, error) {
	size := in.PageSize
	if size <= 0 {
		size = DefaultExpiryPageSize
	}
	rules := a.Policy.ExpiryRules()
	var longest time.Duration
	for _, r := range rules {
		longest = max(longest, r.Longest())
	}
	// A heartbeat per step: a worker that dies mid-page is noticed within
	// the heartbeat timeout, and the page runs again from its cursor.
	activity.RecordHeartbeat(ctx, "reading")
	page, err := a.Store.ExpiryPage(ctx, in.Cursor, in.Now.Add(longest), size)
	if err != nil {
		return SweepExpiryPageResult{}, err
	}
	res := SweepExpiryPageResult{Cursor: in.Cursor, Done: len(page) < size, Visited: len(page), Totals: expiry.Totals{}}
	if len(page) == 0 {
		return res, nil
	}
	res.Cursor = page[len(page)-1].Cursor()
	var reminders []store.Reminder
	var expiring []store.Expiring
	types := map[string]string{}
	for _, c := range page {
		types[c.ID] = c.CardType
		validUntil := c.ValidUntil
		if !in.Now.Before(c.ValidUntil) {
			ev, err := a.holderExpiryEvent(c, cards.NotifyExpired, &validUntil, 0)
			if err != nil {
				return res, err
			}
			expiring = append(expiring, store.Expiring{CardID: c.ID, Input: ev})
			continue
		}
		rule, ok := rules[c.CardType]
		if !ok {
			continue // a card type no longer in the policy: no reminders, but it expires
		}
		var issued time.Time
		if c.IssuedAt != nil {
			issued = *c.IssuedAt
		}
		mark := expiry.Due(c.ValidUntil, issued, in.Now, rule)
		if mark == "" {
			continue
		}
		ev, err := a.holderExpiryEvent(c, cards.ExpiringEvent(mark), &validUntil, expiry.DaysLeft(c.ValidUntil, in.Now))
		if err != nil {
			return res, err
		}
		reminders = append(reminders, store.Reminder{CardID: c.ID, Mark: mark, Input: ev})
	}
	activity.RecordHeartbeat(ctx, "reminding")
	recorded, err := a.Store.RecordReminders(ctx, in.Now, reminders)
	if err != nil {
		return res, err
	}
	for _, r := range recorded {
		res.Totals.Remind(types[r.CardID], r.Mark)
	}
	activity.RecordHeartbeat(ctx, "expiring")
	expired, err := a.Store.ExpireCards(ctx, in.Now, expiring)
	if err != nil {
		return res, err
	}
	ids := make([]string, 0, len(expired))
	for _, c := range expired {
		res.Totals.Expire(c.CardType)
		ids = append(ids, c.ID)
	}
	if len(recorded) > 0 || len(expired) > 0 {
		a.queued(&store.OutboxEvent{})
	}
	if a.CA != nil {
		if res.Revoke, err = a.Store.CertificatesOutlivingCards(ctx, ids); err != nil {
			return res, err
		}
	}
	return res, nil
}

// holderExpiryEvent is the outbox input of an expiry e-mail to the card's
// holder, or nil when e-mail is off in this worker.
func (a *Activities) holderExpiryEvent(c store.ExpiryCandidate, event string, validUntil *time.Time, daysLeft int) ([]byte, error) {
	ev, err := a.outboxEvent(&NotifyInput{
		Event: event, CardID: c.ID, UserID: c.UserID, CardType: c.CardType, CommonName: c.CommonName, UPN: c.UPN,
		CardNumber: c.CardNumber, ValidUntil: validUntil, DaysLeft: daysLeft,
	}, c.ID, event, nil)
	if err != nil || ev == nil {
		return nil, err
	}
	return ev.Input, nil
}

// RevokeExpiredCertificatesInput are the serials of expired cards'
// certificates whose notAfter is later than their card's valid_until.
type RevokeExpiredCertificatesInput struct {
	Serials []string `json:"serials"`
}

// RevokeExpiredCertificates revokes for good (cessationOfOperation) the
// certificates that would outlive their expired card (a card type whose
// validity is shorter than the CA's profile) and records them revoked. It
// runs apart from the sweep's SQL, so a slow or absent CA never holds up
// the expiry itself; repeats succeed. A certificate whose notAfter is the
// card's valid_until is never here: it expires with the card.
func (a *Activities) RevokeExpiredCertificates(ctx context.Context, in RevokeExpiredCertificatesInput) error {
	if a.CA == nil {
		activity.GetLogger(ctx).Warn("No CA to revoke expired cards' certificates with; they stay valid until their notAfter", "certificates", len(in.Serials))
		return nil
	}
	for i, serial := range in.Serials {
		if err := a.CA.Revoke(ctx, serial, ca.CessationOfOperation); err != nil {
			return caFailure(err, "revoke certificate %s of an expired card", serial)
		}
		if err := a.Store.SetCertificateStatus(ctx, serial, ca.StatusRevoked, string(ca.CessationOfOperation)); err != nil && !errors.Is(err, store.ErrNoRows) {
			return err
		}
		activity.RecordHeartbeat(ctx, i+1)
	}
	return nil
}

// CountExpirySweep returns what the sweep of time now did, counted from
// the rows it wrote (reminders and expire audit rows carry the sweep's
// time): the sweep's result, exact even when a page ran twice.
func (a *Activities) CountExpirySweep(ctx context.Context, now time.Time) (expiry.Totals, error) {
	counts, err := a.Store.SweepCounts(ctx, now)
	if err != nil {
		return nil, err
	}
	t := expiry.Totals{}
	for _, c := range counts {
		for range c.N {
			if c.Mark == "" {
				t.Expire(c.CardType)
			} else {
				t.Remind(c.CardType, c.Mark)
			}
		}
	}
	return t, nil
}
