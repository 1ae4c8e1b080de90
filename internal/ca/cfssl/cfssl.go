// Package cfssl is the CA port (package ca) over CFSSL v1.6.5: issue
// through its sign API with the serial the port derives, hold and revoke
// through its revoke API, release (which CFSSL has no call for) as one SQL
// statement on its certificate store, and status through its OCSP
// responder. After every change it has CFSSL sign a fresh OCSP response
// and stores it, so OCSP tells the truth at once. The local CA it talks to
// is set up by package cadev (scripts/ca.sh, testkit.CA).
package cfssl

import (
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	_ "github.com/lib/pq" // the certificate store is PostgreSQL

	"github.com/cardflow/cardflow/internal/ca"
)

// Config says where the CA is.
type Config struct {
	// URL is CFSSL's API (`cfssl serve`), OCSPURL its OCSP responder
	// (`cfssl ocspserve`).
	URL, OCSPURL string
	// CADir holds ca.pem, the issuing CA's certificate: its key id names
	// certificates at the CA, and it verifies OCSP answers.
	CADir string
	// CertDBURL is CFSSL's certificate store (PostgreSQL), for Release
	// and for what the API does not tell (status, reason, stored PEM).
	CertDBURL string
}

// The environment variables ConfigFromEnv reads, and their defaults: the
// local CA that scripts/ca.sh starts.
const (
	EnvURL       = "CARDS_CA_URL"
	EnvOCSPURL   = "CARDS_CA_OCSP_URL"
	EnvDir       = "CARDS_CA_DIR"
	EnvCertDBURL = "CARDS_CA_DB_URL"

	DefaultURL       = "http://127.0.0.1:8888"
	DefaultOCSPURL   = "http://127.0.0.1:8889"
	DefaultDir       = ".run/ca"
	DefaultCertDBURL = "postgres://postgres@127.0.0.1:5432/cards_ca?sslmode=disable"
)

// ConfigFromEnv reads the CA's whereabouts from CARDS_CA_URL,
// CARDS_CA_OCSP_URL, CARDS_CA_DIR and CARDS_CA_DB_URL, defaulting to the
// local CA of scripts/ca.sh.
func ConfigFromEnv() Config {
	get := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	return Config{URL: get(EnvURL, DefaultURL), OCSPURL: get(EnvOCSPURL, DefaultOCSPURL),
		CADir: get(EnvDir, DefaultDir), CertDBURL: get(EnvCertDBURL, DefaultCertDBURL)}
}

// Authority is the CFSSL adapter: a ca.Authority. Close it when done.
type Authority struct {
	cfg    Config
	issuer *x509.Certificate
	aki    string // the issuer's subject key id, lowercase hex: CFSSL's name for it
	db     *sql.DB
	http   *http.Client
}

var _ ca.Authority = (*Authority)(nil)

// New reads the issuer from cfg.CADir and opens the certificate store
// (lazily: a CA that is down makes calls fail, not New).
func New(cfg Config) (*Authority, error) {
	raw, err := os.ReadFile(filepath.Join(cfg.CADir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w (start the local CA with scripts/ca.sh start, or set %s)", err, EnvDir)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("CA certificate %s: no PEM", filepath.Join(cfg.CADir, "ca.pem"))
	}
	issuer, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	if len(issuer.SubjectKeyId) == 0 {
		return nil, fmt.Errorf("CA certificate has no subject key id: CFSSL could not name its certificates")
	}
	db, err := sql.Open("postgres", cfg.CertDBURL)
	if err != nil {
		return nil, fmt.Errorf("certificate store: %w", err)
	}
	return &Authority{cfg: cfg, issuer: issuer, aki: hex.EncodeToString(issuer.SubjectKeyId), db: db,
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// FromEnv is New(ConfigFromEnv()).
func FromEnv() (*Authority, error) { return New(ConfigFromEnv()) }

// Issuer is the issuing CA's certificate.
func (a *Authority) Issuer() *x509.Certificate { return a.issuer }

// Close closes the connections to the certificate store.
func (a *Authority) Close() error { return a.db.Close() }
