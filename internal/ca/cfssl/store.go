package cfssl

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
)

// The revocation reasons (RFC 5280 CRLReason) as CFSSL stores them.
const (
	reasonHold = 6 // certificateHold
)

// record is a certificate's row in CFSSL's store.
type record struct {
	cert      *x509.Certificate
	pem       string
	status    string // "good" or "revoked"
	reason    int
	revokedAt time.Time
}

// record reads the certificate with the serial from the store;
// ca.ErrNotFound when there is none. Store errors are worth retrying.
func (a *Authority) record(ctx context.Context, serial string) (record, error) {
	var (
		r      record
		pemRaw []byte
		status []byte
		at     sql.NullTime
	)
	err := a.db.QueryRowContext(ctx, `SELECT pem, status, COALESCE(reason, 0), revoked_at FROM certificates
		WHERE serial_number = $1 AND authority_key_identifier = $2`, []byte(serial), []byte(a.aki)).
		Scan(&pemRaw, &status, &r.reason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: serial %s", ca.ErrNotFound, serial)
	}
	if err != nil {
		return r, fmt.Errorf("CA certificate store: %w", err)
	}
	r.pem, r.status, r.revokedAt = string(pemRaw), string(status), at.Time
	block, _ := pem.Decode(pemRaw)
	if block == nil {
		return r, &ca.PermanentError{Err: fmt.Errorf("CA certificate store: serial %s has no PEM", serial)}
	}
	if r.cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		return r, &ca.PermanentError{Err: fmt.Errorf("CA certificate store: serial %s: %w", serial, err)}
	}
	return r, nil
}

// releaseSQL takes a held certificate off hold. CFSSL has no call for it
// (its removeFromCRL would be stored as a revocation); revoked_at must not
// be NULL, which breaks `cfssl ocsprefresh`.
const releaseSQL = `UPDATE certificates SET status = 'good', reason = 0, revoked_at = '0001-01-01 00:00:00+00'
	WHERE serial_number = $1 AND authority_key_identifier = $2 AND status = 'revoked' AND reason = 6`

// release runs releaseSQL and reports whether a row changed.
func (a *Authority) release(ctx context.Context, serial string) (bool, error) {
	res, err := a.db.ExecContext(ctx, releaseSQL, []byte(serial), []byte(a.aki))
	if err != nil {
		return false, fmt.Errorf("CA certificate store: release %s: %w", serial, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// storeOCSP keeps the OCSP response the responder serves for the serial.
func (a *Authority) storeOCSP(ctx context.Context, serial string, body []byte, expiry time.Time) error {
	_, err := a.db.ExecContext(ctx, `INSERT INTO ocsp_responses (serial_number, authority_key_identifier, body, expiry)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (serial_number, authority_key_identifier) DO UPDATE SET body = EXCLUDED.body, expiry = EXCLUDED.expiry`,
		[]byte(serial), []byte(a.aki), body, expiry.UTC())
	if err != nil {
		return fmt.Errorf("CA certificate store: OCSP response for %s: %w", serial, err)
	}
	return nil
}
