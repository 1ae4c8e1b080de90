package testkit

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// Policy has one card type per approval shape the integration suites
// need: standard (one approver), privileged (two), short (an approval that
// times out in 2 s), late (in 8 s: time to decide just before or after it)
// and visitor (none).
const Policy = `
useCases:
  requestCard: true
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 1, timeout: 168h}
    mapping:
      commonName: "{{.GivenName}} {{.Surname}}"
      upn: "{{.UPN}}"
  privileged:
    approval: {required: true, approvers: 2, timeout: 168h}
  short:
    approval: {required: true, approvers: 1, timeout: 2s}
  late:
    approval: {required: true, approvers: 1, timeout: 8s}
  visitor:
    approval: {required: false}
    mapping:
      commonName: "Visitor {{.Surname}}"
      upn: "visitor.{{.ID}}@example.com"
`

// PolicyFile writes Policy into the test's directory and returns its path,
// which a worker or a starter under test reads (and a test may rewrite).
func PolicyFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(Policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ProductionPolicy is Policy with Issue card on: visitor cards (no
// approval) are produced at the default station, which tests override
// with --station; quick cards give up on a station after 3 s; twin cards
// allow several active cards per user; brief cards are valid for 30 s,
// reminded 20 s before.
const ProductionPolicy = `
useCases:
  requestCard: true
  issueCard: true
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 1, timeout: 168h}
  visitor:
    approval: {required: false}
    validity: 8760h
  quick:
    approval: {required: false}
    production: {stationTimeout: 3s, pinDelivery: none, certificates: [authentication]}
  twin:
    approval: {required: false}
    multipleActive: true
  brief:
    approval: {required: false}
    validity: 30s
    expiry: {remindBefore: [20s], remindDaily: false}
    production: {pinDelivery: none, certificates: [authentication]}
`

// ProductionPolicyFile writes ProductionPolicy into the test's directory.
func ProductionPolicyFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(ProductionPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// SecretKeyFile writes a fresh CARDS_SECRET_KEYS file for the test.
func SecretKeyFile(t testing.TB) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "secret-keys")
	line := "test-secrets " + base64.StdEncoding.EncodeToString(key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
