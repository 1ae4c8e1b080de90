package cfssl_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/ca"
)

// csr is a PEM certificate request for a fresh P-256 key, as a card's
// chip would make one.
func csr(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "chip"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// request is an IssueRequest for a card of its own.
func request(t *testing.T, usage ca.Usage) ca.IssueRequest {
	return ca.IssueRequest{CardID: uuid.NewString(), Usage: usage, Generation: 1, CSR: csr(t),
		CommonName: "Carol Cole", UPN: "carol@example.com", NotAfter: time.Now().AddDate(3, 0, 0)}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// wantStatus checks what OCSP says about serial.
func wantStatus(t *testing.T, a ca.Authority, serial string, want ca.Status) {
	t.Helper()
	got, err := a.Status(ctx(t), serial)
	if err != nil || got != want {
		t.Fatalf("Status(%s) = %q, %v; want %q", serial, got, err, want)
	}
}

func parse(t *testing.T, c ca.Certificate) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(c.PEM))
	if block == nil {
		t.Fatalf("certificate PEM: %q", c.PEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
