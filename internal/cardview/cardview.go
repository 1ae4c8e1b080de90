// Package cardview completes a card's status document with what PostgreSQL,
// the system of record, knows of the card after its request: its state
// now, its number, validity and certificates. The starter's status and the
// console's card page both use it, so they never disagree.
package cardview

import (
	"context"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// AddLifecycle sets s's state, card number, validity and certificates from
// the stored card c.
func AddLifecycle(ctx context.Context, st *store.Store, c store.Card, s *cards.Status) error {
	s.State = c.State
	s.CardNumber, s.ValidUntil = c.CardNumber, c.ValidUntil
	certs, err := st.Certificates(ctx, c.ID)
	if err != nil {
		return err
	}
	if c.State == cards.StateFailed {
		events, err := st.Events(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Transition == activities.EventFail {
				s.FailureReason = e.Comment
			}
		}
	}
	s.Certificates = nil
	for _, cert := range certs {
		s.Certificates = append(s.Certificates, cards.Certificate{Usage: string(cert.Usage), Serial: cert.Serial, Status: string(cert.Status)})
	}
	return nil
}
