package cfssl

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"

	"golang.org/x/crypto/ocsp"

	"github.com/cardflow/cardflow/internal/ca"
)

// refreshOCSP has CFSSL sign an OCSP response for the certificate's status
// in the store now (POST /ocspsign) and stores it for `cfssl ocspserve`:
// CFSSL's revoke endpoint does not, and `cfssl ocsprefresh` re-signs every
// certificate. The revocation time has day precision (ocspsign's format).
func (a *Authority) refreshOCSP(ctx context.Context, serial string) error {
	r, err := a.record(ctx, serial)
	if err != nil {
		return err
	}
	req := map[string]any{"certificate": r.pem, "status": r.status}
	if r.status == "revoked" {
		req["reason"] = r.reason
		req["revoked_at"] = r.revokedAt.UTC().Format("2006-01-02")
	}
	var res struct {
		Response string `json:"ocspResponse"`
	}
	if err := a.call(ctx, "ocspsign", req, &res); err != nil {
		return err
	}
	der, err := base64.StdEncoding.DecodeString(res.Response)
	if err != nil {
		return fmt.Errorf("CFSSL ocspsign: %w", err)
	}
	parsed, err := ocsp.ParseResponseForCert(der, r.cert, a.issuer)
	if err != nil {
		return fmt.Errorf("CFSSL ocspsign: %w", err)
	}
	return a.storeOCSP(ctx, serial, der, parsed.NextUpdate)
}

// Status asks the OCSP responder about the serial: hold (revoked with
// reason certificateHold), good, or revoked; ca.ErrNotFound when the
// responder does not know it. The answer's signature is checked against
// the issuer.
func (a *Authority) Status(ctx context.Context, serial string) (ca.Status, error) {
	n, ok := new(big.Int).SetString(serial, 10)
	if !ok || n.Sign() <= 0 {
		return "", &ca.PermanentError{Err: fmt.Errorf("serial %q is not a positive decimal number", serial)}
	}
	cert := &x509.Certificate{SerialNumber: n}
	body, err := ocsp.CreateRequest(cert, a.issuer, nil)
	if err != nil {
		return "", &ca.PermanentError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.OCSPURL, bytes.NewReader(body))
	if err != nil {
		return "", &ca.PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	resp, err := a.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("OCSP %s: %w", a.cfg.OCSPURL, err)
	}
	defer resp.Body.Close()
	der, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("OCSP %s: %w", a.cfg.OCSPURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("OCSP %s: HTTP %d", a.cfg.OCSPURL, resp.StatusCode)
	}
	parsed, err := ocsp.ParseResponseForCert(der, cert, a.issuer)
	var rerr ocsp.ResponseError
	if errors.As(err, &rerr) && rerr.Status == ocsp.Unauthorized {
		return "", fmt.Errorf("%w: OCSP knows no serial %s", ca.ErrNotFound, serial)
	}
	if err != nil {
		return "", fmt.Errorf("OCSP %s: %w", a.cfg.OCSPURL, err)
	}
	switch {
	case parsed.Status == ocsp.Good:
		return ca.StatusGood, nil
	case parsed.Status == ocsp.Revoked && parsed.RevocationReason == ocsp.CertificateHold:
		return ca.StatusHold, nil
	case parsed.Status == ocsp.Revoked:
		return ca.StatusRevoked, nil
	default:
		return "", fmt.Errorf("%w: OCSP says unknown for serial %s", ca.ErrNotFound, serial)
	}
}
