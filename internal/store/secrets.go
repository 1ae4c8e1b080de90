package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cardflow/cardflow/internal/secrets"
)

// SecretKind names one of a card's two secrets in card_secrets.
type SecretKind string

// The kinds of card secrets: the PIN (deleted once delivered) and the PUK
// (kept for an operator-assisted unblock).
const (
	SecretPIN SecretKind = "pin"
	SecretPUK SecretKind = "puk"
)

// saveSecretsSQL writes both sealed secrets of card $1 unless it has a PUK.
// The PUK, which stays for the card's life, is the mark that the card's
// secrets were made: a card whose PIN was delivered (and deleted) gets no
// second PIN, which would not be the one its chip holds. Two concurrent
// calls cannot mix their pairs: the second one's rows wait on the first
// one's keys and then conflict on both.
const saveSecretsSQL = `
	INSERT INTO card_secrets (card_id, kind, key_id, box)
	SELECT $1::uuid, v.kind, v.key_id, v.box
	FROM (VALUES ('pin', $2::text, $3::bytea), ('puk', $4::text, $5::bytea)) AS v (kind, key_id, box)
	WHERE NOT EXISTS (SELECT 1 FROM card_secrets WHERE card_id = $1::uuid AND kind = 'puk')
	ON CONFLICT (card_id, kind) DO NOTHING`

// SaveSecrets stores a card's sealed PIN and PUK, once: when the card
// already has its secrets (a retried activity, a repeated production) it
// writes nothing and saved is false, so the first PIN is the one that
// counts. The values are sealed (secrets.Keys): the table never holds a
// secret in clear.
func (s *Store) SaveSecrets(ctx context.Context, cardID string, pin, puk secrets.Sealed) (saved bool, err error) {
	if pin.KeyID == "" || len(pin.Box) == 0 || puk.KeyID == "" || len(puk.Box) == 0 {
		return false, fmt.Errorf("save the secrets of card %s: a sealed value is empty", cardID)
	}
	res, err := s.DB.ExecContext(ctx, saveSecretsSQL, cardID, pin.KeyID, pin.Box, puk.KeyID, puk.Box)
	if err != nil {
		return false, fmt.Errorf("save the secrets of card %s: %w", cardID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("save the secrets of card %s: %w", cardID, err)
	}
	s.writes.Add(1)
	return n > 0, nil
}

// SealedSecret reads one sealed secret of a card; found is false when the
// card has none of that kind (never made, or a PIN already delivered).
func (s *Store) SealedSecret(ctx context.Context, cardID string, kind SecretKind) (sealed secrets.Sealed, found bool, err error) {
	s.reads.Add(1)
	err = s.DB.QueryRowContext(ctx, `SELECT key_id, box FROM card_secrets WHERE card_id = $1 AND kind = $2`, cardID, string(kind)).
		Scan(&sealed.KeyID, &sealed.Box)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return secrets.Sealed{}, false, nil
	case err != nil:
		return secrets.Sealed{}, false, fmt.Errorf("read the sealed %s of card %s: %w", kind, cardID, err)
	}
	return sealed, true, nil
}

// DeletePIN removes a card's sealed PIN once it is delivered; the PUK stays.
// Deleting a PIN that is gone already is no error, so a retry is harmless.
func (s *Store) DeletePIN(ctx context.Context, cardID string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM card_secrets WHERE card_id = $1 AND kind = 'pin'`, cardID); err != nil {
		return fmt.Errorf("delete the sealed PIN of card %s: %w", cardID, err)
	}
	s.writes.Add(1)
	return nil
}
