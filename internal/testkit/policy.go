package testkit

import (
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
