package station_test

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
	"sync"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
)

// testCA is a fake ca.Issuer: an in-memory CA (crypto/x509) that signs the
// CSRs it gets, as CFSSL would, and remembers them.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate

	mu       sync.Mutex
	requests []ca.IssueRequest
	// fail, when set, is returned instead of a certificate.
	fail error
	// otherKey, when set, signs a certificate for another key than the CSR's
	// (a certificate issued before for a lost key).
	otherKey bool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: bigOne(), Subject: pkix.Name{CommonName: "cardflow test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{key: key, cert: cert}
}

// Issue signs r.CSR with the serial of ca.Serial.
func (c *testCA) Issue(_ context.Context, r ca.IssueRequest) (ca.Certificate, error) {
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
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
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

// issued returns the requests the CA got so far.
func (c *testCA) issued() []ca.IssueRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ca.IssueRequest(nil), c.requests...)
}
