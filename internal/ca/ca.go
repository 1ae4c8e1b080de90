// Package ca is cardflow's port to a certificate authority: issue a card
// certificate, put it on hold, release it, revoke it for good, and read its
// status. It is shaped after EJBCA's REST calls (enroll; revoke with
// CERTIFICATE_HOLD; REMOVE_FROM_CRL; revocation status) so that an EJBCA or
// Nexus Certificate Manager adapter can replace the CFSSL one (package
// ca/cfssl) without touching the workflows.
package ca

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// Usage is what a card certificate is for; each usage is one certificate
// and one key on the chip.
type Usage string

// The usages a card type may list in production.certificates.
const (
	Authentication Usage = "authentication"
	Signing        Usage = "signing"
	Encryption     Usage = "encryption"
)

// Usages lists every known usage in a fixed order.
var Usages = []Usage{Authentication, Signing, Encryption}

// Status is a certificate's revocation status as OCSP reports it.
type Status string

// Certificate statuses, as the status document writes them.
const (
	StatusHold    Status = "hold"
	StatusGood    Status = "good"
	StatusRevoked Status = "revoked"
)

// Reason is an RFC 5280 revocation reason for a permanent revocation.
type Reason string

// The permanent revocation reasons cardflow uses.
const (
	CessationOfOperation Reason = "cessationOfOperation"
	KeyCompromise        Reason = "keyCompromise"
	Superseded           Reason = "superseded"
)

// IssueRequest asks for one card certificate for a key generated on the
// card: only the CSR (public key) travels.
type IssueRequest struct {
	CardID     string
	Usage      Usage
	Generation int
	// CSR is the PEM certificate request made with the card's key.
	CSR []byte
	// CommonName and UPN are the subject the card type maps.
	CommonName string
	UPN        string
	// NotAfter is the card's validity: the certificate expires with it.
	NotAfter time.Time
}

// Certificate is an issued card certificate: public material only.
type Certificate struct {
	Usage    Usage     `json:"usage"`
	Serial   string    `json:"serial"`
	PEM      string    `json:"pem"`
	NotAfter time.Time `json:"notAfter"`
}

// Issuer issues card certificates. Issue is idempotent: the serial comes
// from (card, usage, generation), so a retry returns the certificate issued
// before instead of a second one.
type Issuer interface {
	Issue(ctx context.Context, r IssueRequest) (Certificate, error)
}

// Authority is the whole port: what the worker uses.
type Authority interface {
	Issuer
	// Hold suspends a certificate (reason certificateHold); repeats succeed.
	Hold(ctx context.Context, serial string) error
	// Release takes a certificate off hold (good again); a certificate
	// already good succeeds; one revoked for good is a *PermanentError.
	Release(ctx context.Context, serial string) error
	// Revoke revokes a certificate for good; repeats succeed.
	Revoke(ctx context.Context, serial string, reason Reason) error
	// Status asks OCSP.
	Status(ctx context.Context, serial string) (Status, error)
}

// ErrNotFound is returned (wrapped) when the CA has no certificate with
// the serial: for a revocation of half-issued certificates, nothing to do.
var ErrNotFound = errors.New("certificate not found at the CA")

// PermanentError is a refusal that a retry cannot change (a CSR the CA
// rejects, a release of a certificate revoked for good); anything else the
// port returns is worth retrying (the CA is down, a timeout).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a *PermanentError or ErrNotFound.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p) || errors.Is(err, ErrNotFound)
}

// Serial is the serial number of the certificate of a card's usage in a
// production generation: the first 16 bytes of SHA-256(card|usage|generation)
// as a positive integer. Deriving it makes Issue idempotent and lets a failed
// production revoke what it may have issued without having recorded it.
func Serial(cardID string, usage Usage, generation int) *big.Int {
	sum := sha256.Sum256([]byte(cardID + "|" + string(usage) + "|" + strconv.Itoa(generation)))
	b := sum[:16]
	b[0] &= 0x7f // positive, and at most 127 bits as RFC 5280 allows
	return new(big.Int).SetBytes(b)
}

// SerialText is Serial as decimal text, how the port names certificates.
func SerialText(cardID string, usage Usage, generation int) string {
	return Serial(cardID, usage, generation).String()
}

// ParseUsage checks a usage name from a policy file or a flag.
func ParseUsage(s string) (Usage, error) {
	for _, u := range Usages {
		if string(u) == s {
			return u, nil
		}
	}
	return "", fmt.Errorf("unknown certificate usage %q (want authentication, signing or encryption)", s)
}
