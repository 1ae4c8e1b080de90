// Package catest is an in-memory certificate authority (crypto/x509) for
// tests: a ca.Issuer that signs the CSRs it gets, as CFSSL would, with the
// serial ca.Serial derives, and remembers every request. Tests of the
// station (and of what calls it) use it where no CFSSL runs.
package catest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
)

// CA is the test authority. Its zero value is not usable: call New.
type CA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate

	mu       sync.Mutex
	requests []ca.IssueRequest
	fail     error
	otherKey bool
}

var _ ca.Issuer = (*CA)(nil)

// New makes a CA with a fresh P-256 key and a self-signed certificate.
func New(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cardflow test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{key: key, cert: cert}
}

// Certificate is the CA's own certificate, to verify what it issued.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// Fail makes every later Issue return err (nil issues again): a
// *ca.PermanentError for a refusal, anything else for a CA that is down.
func (c *CA) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = err
}

// IssueForAnotherKey makes every later Issue certify a fresh key instead of
// the CSR's, as a CA returning a certificate issued before for a lost key.
func (c *CA) IssueForAnotherKey() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.otherKey = true
}

// Requests returns the requests the CA got so far, refused ones included.
func (c *CA) Requests() []ca.IssueRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ca.IssueRequest(nil), c.requests...)
}

// Issue checks r.CSR's signature and signs its key, subject and r.NotAfter
// under the serial ca.Serial(r.CardID, r.Usage, r.Generation).
func (c *CA) Issue(_ context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	c.mu.Lock()
	c.requests = append(c.requests, r)
	fail, otherKey := c.fail, c.otherKey
	c.mu.Unlock()
	if fail != nil {
		return ca.Certificate{}, fail
	}
	block, _ := pem.Decode(r.CSR)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return ca.Certificate{}, &ca.PermanentError{Err: errors.New("no PEM certificate request")}
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return ca.Certificate{}, &ca.PermanentError{Err: err}
	}
	if err := csr.CheckSignature(); err != nil {
		return ca.Certificate{}, &ca.PermanentError{Err: err}
	}
	var pub crypto.PublicKey = csr.PublicKey
	if otherKey {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return ca.Certificate{}, err
		}
		pub = other.Public()
	}
	tmpl := &x509.Certificate{
		SerialNumber: ca.Serial(r.CardID, r.Usage, r.Generation), Subject: csr.Subject,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: r.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		return ca.Certificate{}, err
	}
	return ca.Certificate{
		Usage: r.Usage, Serial: tmpl.SerialNumber.String(), NotAfter: r.NotAfter,
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}
