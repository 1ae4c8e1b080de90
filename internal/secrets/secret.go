// Package secrets makes a card's PIN and PUK and seals them at rest.
//
// A PIN or PUK must never reach a Temporal history, a log line, the outbox, a
// URL or a page. The types here make the accidental leak hard: their String,
// GoString, JSON and slog forms are "******", and the digits come out only
// through Reveal, a call a reviewer can grep for. At rest they are sealed with
// AES-256-GCM under keys of their own (CARDS_SECRET_KEYS), apart from the
// history codec's keys, so that whoever may decode histories cannot open PINs.
package secrets

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
)

// Masked is what a PIN or PUK shows wherever it is printed or marshalled.
const Masked = "******"

// DefaultPINLength is the PIN length when the card type names none: six
// digits, the least NIST SP 800-73 (PIV) allows.
const DefaultPINLength = 6

// ShortPINLength is the one shorter PIN a card type may choose, for cards
// whose readers only take four digits.
const ShortPINLength = 4

// PUKLength is the length of every PUK (the unblocking key).
const PUKLength = 8

// PIN is a card's PIN. Its zero value holds no digits.
type PIN struct{ digits string }

// PUK is a card's PIN unblocking key.
type PUK struct{ digits string }

// NewPIN makes a PIN of length digits (0 means DefaultPINLength) from the
// system's cryptographic random source. Only 6 and 4 are allowed: a longer or
// odder PIN is a configuration mistake to refuse, not to honour.
func NewPIN(length int) (PIN, error) {
	return NewPINFrom(rand.Reader, length)
}

// NewPINFrom is NewPIN drawing from r instead of the cryptographic random
// source: for a test that plants a known PIN and then looks for it in every
// table, file and log. Production code calls NewPIN.
func NewPINFrom(r io.Reader, length int) (PIN, error) {
	if length == 0 {
		length = DefaultPINLength
	}
	if length != DefaultPINLength && length != ShortPINLength {
		return PIN{}, fmt.Errorf("PIN length %d is not allowed: use %d (the default) or %d", length, DefaultPINLength, ShortPINLength)
	}
	d, err := randomDigits(r, length)
	return PIN{d}, err
}

// NewPUK makes an 8-digit PUK from the system's cryptographic random source.
func NewPUK() (PUK, error) {
	d, err := randomDigits(rand.Reader, PUKLength)
	return PUK{d}, err
}

// randomDigits reads n uniformly distributed decimal digits from r. A byte is
// kept only below 250 (25 full rounds of 0-9) and rejected otherwise; taking
// every byte modulo 10 would make 0-5 more likely than 6-9 (26 against 25 in
// 256).
func randomDigits(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		missing := buf[:n-len(out)]
		if _, err := io.ReadFull(r, missing); err != nil {
			return "", fmt.Errorf("read the random source: %w", err)
		}
		for _, b := range missing {
			if b < 250 {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out), nil
}

// Reveal returns the PIN's digits: for the PIN letter and for sealing, never
// for a log, a history or a page.
func (p PIN) Reveal() string { return p.digits }

// String masks the PIN, so that a stray log line shows no digits.
func (p PIN) String() string { return Masked }

// GoString masks the PIN in %#v too.
func (p PIN) GoString() string { return "secrets.PIN(" + Masked + ")" }

// Format masks the PIN under every verb: fmt consults String only for the
// string verbs, so %d would otherwise print the digits.
func (p PIN) Format(f fmt.State, verb rune) { format(f, verb, p) }

// MarshalJSON masks the PIN: a PIN that slips into JSON (a workflow input, a
// log field) carries nothing.
func (p PIN) MarshalJSON() ([]byte, error) { return []byte(`"` + Masked + `"`), nil }

// LogValue masks the PIN in structured logs.
func (p PIN) LogValue() slog.Value { return slog.StringValue(Masked) }

// Reveal returns the PUK's digits: for sealing and an operator-assisted
// unblock, never for a log, a history or a page.
func (p PUK) Reveal() string { return p.digits }

// String masks the PUK, so that a stray log line shows no digits.
func (p PUK) String() string { return Masked }

// GoString masks the PUK in %#v too.
func (p PUK) GoString() string { return "secrets.PUK(" + Masked + ")" }

// Format masks the PUK under every verb, as PIN.Format does.
func (p PUK) Format(f fmt.State, verb rune) { format(f, verb, p) }

// format writes the masked form: GoString for %#v, Masked otherwise.
func format(f fmt.State, verb rune, s fmt.GoStringer) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, Masked)
}

// MarshalJSON masks the PUK: a PUK that slips into JSON carries nothing.
func (p PUK) MarshalJSON() ([]byte, error) { return []byte(`"` + Masked + `"`), nil }

// LogValue masks the PUK in structured logs.
func (p PUK) LogValue() slog.Value { return slog.StringValue(Masked) }
