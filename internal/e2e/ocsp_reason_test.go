package e2e

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ocsp"

	"github.com/cardflow/cardflow/internal/cards"
)

// revocationReasons asks the CA's OCSP responder about each of the card's
// certificates and returns the RFC 5280 reason of each revocation
// (ocsp.CessationOfOperation, ocsp.KeyCompromise, ...), -1 for one not
// revoked: what a relying party sees, beyond hold, good or revoked.
func (h *harness) revocationReasons(s cards.Status) []int {
	h.t.Helper()
	raw, err := os.ReadFile(filepath.Join(h.prod.ca.Config.CADir, "ca.pem"))
	if err != nil {
		h.t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	issuer, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []int
	for _, c := range s.Certificates {
		n, _ := new(big.Int).SetString(c.Serial, 10)
		cert := &x509.Certificate{SerialNumber: n}
		req, err := ocsp.CreateRequest(cert, issuer, nil)
		if err != nil {
			h.t.Fatal(err)
		}
		resp, err := http.Post(h.prod.ca.Config.OCSPURL, "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			h.t.Fatal(err)
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		parsed, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil {
			h.t.Fatalf("OCSP for %s: %v", c.Serial, err)
		}
		reason := -1
		if parsed.Status == ocsp.Revoked {
			reason = parsed.RevocationReason
		}
		out = append(out, reason)
	}
	return out
}
