package cfssl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The whole life of a card certificate against a real CFSSL: issued and
// good, held (OCSP: revoked, reason certificateHold), released (good
// again), revoked for good, after which neither a hold nor a release can
// bring it back (the store's trigger).
func TestHoldReleaseRevoke(t *testing.T) {
	t.Parallel()
	a := testkit.CA(t).Authority
	r := request(t, ca.Authentication)
	c, err := a.Issue(ctx(t), r)
	if err != nil {
		t.Fatal(err)
	}
	cert := parse(t, c)
	if c.Serial != ca.SerialText(r.CardID, r.Usage, r.Generation) || cert.SerialNumber.String() != c.Serial {
		t.Fatalf("serial %s (certificate %s), want the derived one", c.Serial, cert.SerialNumber)
	}
	if cert.Subject.CommonName != r.CommonName || len(cert.EmailAddresses) != 1 || cert.EmailAddresses[0] != r.UPN {
		t.Fatalf("subject %q, e-mail SANs %v", cert.Subject, cert.EmailAddresses)
	}
	if err := cert.CheckSignatureFrom(a.Issuer()); err != nil || !cert.NotAfter.Equal(c.NotAfter) {
		t.Fatalf("not issued by the CA (%v), or NotAfter %s != %s", err, cert.NotAfter, c.NotAfter)
	}
	wantStatus(t, a, c.Serial, ca.StatusGood)

	for range 2 { // a repeat succeeds
		if err := a.Hold(ctx(t), c.Serial); err != nil {
			t.Fatalf("Hold: %v", err)
		}
	}
	wantStatus(t, a, c.Serial, ca.StatusHold)
	for range 2 {
		if err := a.Release(ctx(t), c.Serial); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}
	wantStatus(t, a, c.Serial, ca.StatusGood)

	if err := a.Hold(ctx(t), c.Serial); err != nil { // revoked for good from hold
		t.Fatal(err)
	}
	for _, reason := range []ca.Reason{ca.CessationOfOperation, ca.CessationOfOperation, ca.KeyCompromise} {
		if err := a.Revoke(ctx(t), c.Serial, reason); err != nil {
			t.Fatalf("Revoke(%s): %v", reason, err)
		}
	}
	wantStatus(t, a, c.Serial, ca.StatusRevoked)

	var perm *ca.PermanentError
	if err := a.Hold(ctx(t), c.Serial); !errors.As(err, &perm) || !strings.Contains(err.Error(), "permanently revoked") {
		t.Fatalf("Hold after a revocation for good: %v, want the trigger's PermanentError", err)
	}
	if err := a.Release(ctx(t), c.Serial); !errors.As(err, &perm) {
		t.Fatalf("Release after a revocation for good: %v, want a PermanentError", err)
	}
	wantStatus(t, a, c.Serial, ca.StatusRevoked)
}

// Issue is idempotent per (card, usage, generation) and key; the same
// serial for another key is refused for good.
func TestIssueTwice(t *testing.T) {
	t.Parallel()
	a := testkit.CA(t).Authority
	r := request(t, ca.Signing)
	first, err := a.Issue(ctx(t), r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Issue(ctx(t), r)
	if err != nil || again != first {
		t.Fatalf("second Issue: %+v, %v; want the first certificate %+v", again, err, first)
	}
	wantStatus(t, a, first.Serial, ca.StatusGood)

	r.CSR = csr(t)
	var perm *ca.PermanentError
	if _, err := a.Issue(ctx(t), r); !errors.As(err, &perm) {
		t.Fatalf("Issue with another key for the same serial: %v, want a PermanentError", err)
	}
	r.Generation++
	if c, err := a.Issue(ctx(t), r); err != nil || c.Serial == first.Serial {
		t.Fatalf("Issue of the next generation: %+v, %v", c, err)
	}
}

// What the CA cannot take is refused for good.
func TestIssueRefusals(t *testing.T) {
	t.Parallel()
	a := testkit.CA(t).Authority
	bad := request(t, ca.Encryption)
	bad.CSR = []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
	unknown := request(t, "door")
	for name, r := range map[string]ca.IssueRequest{"bad CSR": bad, "unknown usage": unknown} {
		if _, err := a.Issue(ctx(t), r); !ca.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent refusal", name, err)
		}
	}
	if c, err := a.Issue(ctx(t), request(t, ca.Encryption)); err != nil || len(parse(t, c).EmailAddresses) != 1 {
		t.Fatalf("encryption certificate: %v", err)
	}
}

// A serial the CA never issued is ca.ErrNotFound for every call.
func TestUnknownSerial(t *testing.T) {
	t.Parallel()
	a := testkit.CA(t).Authority
	serial := ca.SerialText("no-such-card", ca.Authentication, 1)
	if err := a.Revoke(ctx(t), serial, ca.CessationOfOperation); !errors.Is(err, ca.ErrNotFound) {
		t.Errorf("Revoke: %v, want ErrNotFound", err)
	}
	if err := a.Hold(ctx(t), serial); !errors.Is(err, ca.ErrNotFound) {
		t.Errorf("Hold: %v, want ErrNotFound", err)
	}
	if err := a.Release(ctx(t), serial); !errors.Is(err, ca.ErrNotFound) {
		t.Errorf("Release: %v, want ErrNotFound", err)
	}
	if _, err := a.Status(ctx(t), serial); !errors.Is(err, ca.ErrNotFound) {
		t.Errorf("Status: %v, want ErrNotFound", err)
	}
}

// A CA that does not answer is worth retrying: no call says permanent.
func TestCADown(t *testing.T) {
	t.Parallel()
	cfg := testkit.CA(t).Config
	addrs := testkit.FreeAddrs(t, 2) // nobody listens there
	cfg.URL, cfg.OCSPURL = "http://"+addrs[0], "http://"+addrs[1]
	a, err := cfssl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	serial := ca.SerialText("any-card", ca.Authentication, 1)
	if _, err := a.Status(ctx(t), serial); err == nil || ca.IsPermanent(err) {
		t.Errorf("Status with the CA down: %v, want a retryable error", err)
	}
	if _, err := a.Issue(ctx(t), request(t, ca.Authentication)); err == nil || ca.IsPermanent(err) {
		t.Errorf("Issue with the CA down: %v, want a retryable error", err)
	}
	if err := a.Revoke(ctx(t), serial, ca.KeyCompromise); err == nil || ca.IsPermanent(err) {
		t.Errorf("Revoke with the CA down: %v, want a retryable error", err)
	}
}
