// Package cardnumber is the issuer's card number scheme: a prefix of
// letters, zero-padded digits from a counter in PostgreSQL, and a Luhn check
// digit. The check digit catches the typing errors people make when they
// read a number off a card (one wrong digit, most swaps of neighbours); it is
// not a payment card number, which would need a registered issuer range.
//
// The counter itself lives in the database (next_card_number, see
// schema/migrations): this package formats and checks, the allocation must
// happen in the statement that changes the card so a retry never takes a
// second number.
package cardnumber

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPrefix is the prefix of a card type that names none.
const DefaultPrefix = "C"

// DefaultWidth is how many counter digits a number carries before its check
// digit. It matches next_card_number's default in the migration, so that a
// number the database allocates and one Format composes look alike.
const DefaultWidth = 9

// MaxPrefixLength bounds a prefix: a card number is printed on a small card.
const MaxPrefixLength = 8

// Luhn returns the check digit (an ASCII '0'..'9') that makes digits followed
// by it pass the Luhn test. digits must hold only ASCII digits; anything else
// gives 0, which no caller can mistake for a digit.
func Luhn(digits string) byte {
	sum := 0
	double := true // the rightmost payload digit is doubled once the check digit follows it
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// Valid reports whether number is a well-formed card number: a prefix of
// upper-case letters (possibly empty), then at least two digits of which the
// last is the Luhn check digit of the others.
func Valid(number string) bool {
	prefix, digits := split(number)
	if ValidPrefix(prefix) != nil || len(digits) < 2 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return Luhn(digits[:len(digits)-1]) == digits[len(digits)-1]
}

// split cuts number where its letters end.
func split(number string) (prefix, digits string) {
	i := 0
	for i < len(number) && number[i] >= 'A' && number[i] <= 'Z' {
		i++
	}
	return number[:i], number[i:]
}

// ValidPrefix refuses a prefix that would make numbers ambiguous or too long
// to print: only upper-case ASCII letters (a digit in the prefix could not be
// told from the counter), at most MaxPrefixLength of them.
func ValidPrefix(prefix string) error {
	if len(prefix) > MaxPrefixLength {
		return fmt.Errorf("card number prefix %q is %d characters, at most %d allowed", prefix, len(prefix), MaxPrefixLength)
	}
	for _, r := range prefix {
		if r < 'A' || r > 'Z' {
			return fmt.Errorf("card number prefix %q may hold only upper-case letters A-Z, not %q", prefix, r)
		}
	}
	return nil
}

// Format composes the number for counter value n: prefix, n zero-padded to
// width digits, and the check digit. A counter that no longer fits width
// digits is refused rather than cut, which would give a number twice.
func Format(prefix string, n uint64, width int) (string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return "", err
	}
	if width < 1 || width > 18 {
		return "", fmt.Errorf("card number width %d: want 1 to 18 digits", width)
	}
	digits := strconv.FormatUint(n, 10)
	if len(digits) > width {
		return "", fmt.Errorf("card number range %q is exhausted: counter %d does not fit %d digits", prefix, n, width)
	}
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(strings.Repeat("0", width-len(digits)))
	b.WriteString(digits)
	b.WriteByte(Luhn(b.String()[len(prefix):]))
	return b.String(), nil
}
