package cfssl

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/cardflow/cardflow/internal/ca"
)

// Profiles maps each usage to its signing profile in ca-config.json.
var Profiles = map[ca.Usage]string{
	ca.Authentication: "card-auth",
	ca.Signing:        "card-sign",
	ca.Encryption:     "card-enc",
}

// signRequest is CFSSL's sign request. CFSSL v1.6.5's sign API has no
// field for notAfter (its signer does, but the HTTP handler drops it): a
// certificate gets the profile's expiry, and Certificate.NotAfter says
// what it got.
type signRequest struct {
	CSR     string         `json:"certificate_request"`
	Profile string         `json:"profile"`
	Serial  json.Number    `json:"serial"`
	Subject map[string]any `json:"subject"`
	Hosts   []string       `json:"hosts,omitempty"`
}

// Issue signs the card's CSR with the serial of (card, usage, generation),
// the subject's CN and the UPN as an e-mail SAN. A retry finds the serial
// taken: if that certificate has the CSR's key it is returned, otherwise
// the refusal is permanent (a new generation is needed). A bad CSR or an
// unknown usage is permanent too.
func (a *Authority) Issue(ctx context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	profile, ok := Profiles[r.Usage]
	if !ok {
		return ca.Certificate{}, &ca.PermanentError{Err: fmt.Errorf("no CA profile for certificate usage %q", r.Usage)}
	}
	csr, err := parseCSR(r.CSR)
	if err != nil {
		return ca.Certificate{}, &ca.PermanentError{Err: err}
	}
	serial := ca.SerialText(r.CardID, r.Usage, r.Generation)
	req := signRequest{CSR: string(r.CSR), Profile: profile, Serial: json.Number(serial),
		Subject: map[string]any{"CN": r.CommonName}}
	if r.UPN != "" {
		req.Hosts = []string{r.UPN}
	}
	var res struct {
		Certificate string `json:"certificate"`
	}
	err = a.call(ctx, "sign", req, &res)
	if errors.Is(err, errDuplicate) {
		return a.issuedBefore(ctx, r.Usage, serial, csr)
	}
	if err != nil {
		return ca.Certificate{}, err
	}
	cert, err := parseCert(res.Certificate)
	if err != nil {
		return ca.Certificate{}, fmt.Errorf("CFSSL sign: %w", err)
	}
	if err := a.refreshOCSP(ctx, serial); err != nil {
		return ca.Certificate{}, err
	}
	return ca.Certificate{Usage: r.Usage, Serial: serial, PEM: res.Certificate, NotAfter: cert.NotAfter}, nil
}

// issuedBefore is Issue's answer when the serial is taken: the stored
// certificate if it certifies the CSR's key (with its OCSP response made
// again, in case the first attempt ended before that).
func (a *Authority) issuedBefore(ctx context.Context, usage ca.Usage, serial string, csr *x509.CertificateRequest) (ca.Certificate, error) {
	rec, err := a.record(ctx, serial)
	if err != nil {
		return ca.Certificate{}, err
	}
	if !bytes.Equal(rec.cert.RawSubjectPublicKeyInfo, csr.RawSubjectPublicKeyInfo) {
		return ca.Certificate{}, &ca.PermanentError{Err: fmt.Errorf(
			"serial %s was issued for another key: this production needs a new generation", serial)}
	}
	if err := a.refreshOCSP(ctx, serial); err != nil {
		return ca.Certificate{}, err
	}
	return ca.Certificate{Usage: usage, Serial: serial, PEM: rec.pem, NotAfter: rec.cert.NotAfter}, nil
}

func parseCSR(raw []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("the CSR is not a PEM certificate request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the CSR's signature: %w", err)
	}
	return csr, nil
}

func parseCert(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}
