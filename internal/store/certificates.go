package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/ca"
)

// CertificateRow is one of a card's certificates (table card_certificates):
// public material and its status, which follows the card's state.
type CertificateRow struct {
	Usage      ca.Usage  `db:"usage" json:"usage"`
	Serial     string    `db:"serial" json:"serial"`
	Status     ca.Status `db:"status" json:"status"`
	Reason     string    `db:"reason" json:"reason,omitempty"`
	NotAfter   time.Time `db:"not_after" json:"notAfter"`
	PEM        string    `db:"pem" json:"pem,omitempty"`
	Generation int       `db:"generation" json:"generation"`
}

// RecordCertificates stores the certificates of production generation
// generation of the card, one statement for all of them; a row already
// there (a retry) is overwritten with the same values, so calling it twice
// is harmless. Each row's Generation is ignored in favour of generation.
func (s *Store) RecordCertificates(ctx context.Context, cardID string, generation int, rows []CertificateRow) error {
	if len(rows) == 0 {
		return nil
	}
	usages, serials, statuses, reasons, notAfters, pems := make([]string, len(rows)), make([]string, len(rows)),
		make([]string, len(rows)), make([]string, len(rows)), make([]time.Time, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		usages[i], serials[i], statuses[i], reasons[i], notAfters[i], pems[i] = string(r.Usage), r.Serial, string(r.Status), r.Reason, r.NotAfter, r.PEM
	}
	_, err := s.DB.ExecContext(ctx, `
		INSERT INTO card_certificates (card_id, usage, generation, serial, status, reason, not_after, pem, updated_at)
		SELECT $1, r.usage, $2, r.serial, r.status, r.reason, r.not_after, r.pem, now()
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
			AS r(usage, serial, status, reason, not_after, pem)
		ON CONFLICT (card_id, usage, generation) DO UPDATE SET serial = EXCLUDED.serial, status = EXCLUDED.status,
			reason = EXCLUDED.reason, not_after = EXCLUDED.not_after, pem = EXCLUDED.pem, updated_at = EXCLUDED.updated_at`,
		cardID, generation, pq.Array(usages), pq.Array(serials), pq.Array(statuses), pq.Array(reasons), pq.Array(notAfters), pq.Array(pems))
	if err != nil {
		return fmt.Errorf("record the certificates of card %s (generation %d): %w", cardID, generation, err)
	}
	s.writes.Add(1)
	return nil
}

// SetCertificateStatus records a certificate's status at the CA (hold,
// good, revoked) and the revocation reason; ErrNoRows when no certificate
// has the serial. Setting the status it has is harmless.
func (s *Store) SetCertificateStatus(ctx context.Context, serial string, status ca.Status, reason string) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE card_certificates SET status = $2, reason = $3, updated_at = now() WHERE serial = $1`,
		serial, string(status), reason)
	if err != nil {
		return fmt.Errorf("set the status of certificate %s to %s: %w", serial, status, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNoRows
	}
	s.writes.Add(1)
	return nil
}

// Certificates returns the certificates of the card's current production
// generation, by usage: what the card carries (or will carry).
func (s *Store) Certificates(ctx context.Context, cardID string) ([]CertificateRow, error) {
	s.reads.Add(1)
	var out []CertificateRow
	err := s.DB.SelectContext(ctx, &out, `
		SELECT cc.usage, cc.serial, cc.status, cc.reason, COALESCE(cc.not_after, '0001-01-01 00:00:00+00') AS not_after, cc.pem, cc.generation
		FROM card_certificates cc JOIN cards c ON c.id = cc.card_id AND cc.generation = c.production_generation
		WHERE cc.card_id = $1 ORDER BY cc.usage`, cardID)
	if err != nil {
		return nil, fmt.Errorf("read the certificates of card %s: %w", cardID, err)
	}
	return out, nil
}
