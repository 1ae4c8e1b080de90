package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPINAndPUKLengths(t *testing.T) {
	for _, tc := range []struct{ ask, want int }{{0, 6}, {6, 6}, {4, 4}} {
		p, err := NewPIN(tc.ask)
		if err != nil || len(p.Reveal()) != tc.want || strings.Trim(p.Reveal(), "0123456789") != "" {
			t.Errorf("NewPIN(%d) = %d digits %v, want %d digits", tc.ask, len(p.Reveal()), err, tc.want)
		}
	}
	for _, bad := range []int{-1, 1, 3, 5, 7, 8, 12} {
		if _, err := NewPIN(bad); err == nil || !strings.Contains(err.Error(), fmt.Sprint(bad)) {
			t.Errorf("NewPIN(%d) error = %v, want a refusal naming %d", bad, err, bad)
		}
	}
	puk, err := NewPUK()
	if err != nil || len(puk.Reveal()) != 8 || strings.Trim(puk.Reveal(), "0123456789") != "" {
		t.Errorf("NewPUK() = %d digits, %v", len(puk.Reveal()), err)
	}
}

// Digits are uniform: a chi-square test over 100,000 digits, 9 degrees of
// freedom. The bound 40 is far beyond the 0.01% point (about 33.7), so the
// test does not flake; it catches a digit that is never or seldom drawn.
// (The subtle modulo bias, 26:25, is too small for 100,000 digits to show;
// TestRandomDigitsRejectsTheBiasedTail proves its absence instead.)
func TestDigitsAreUniform(t *testing.T) {
	const n = 100_000
	var counts [10]int
	for got := 0; got < n; {
		puk, err := NewPUK()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range puk.Reveal() {
			if got < n {
				counts[c-'0']++
				got++
			}
		}
	}
	if chi := chiSquare(counts[:], n); chi > 40 {
		t.Errorf("chi-square %.1f over counts %v: digits are not uniform", chi, counts)
	}
	// The statistic fails a source that draws one digit 8% too seldom.
	skewed := [10]int{9200, 10089, 10089, 10089, 10089, 10089, 10089, 10089, 10089, 10088}
	if chi := chiSquare(skewed[:], n); chi <= 40 {
		t.Errorf("chi-square %.1f of skewed digits would pass: the bound is too weak", chi)
	}
}

func chiSquare(counts []int, n int) float64 {
	expected := float64(n) / float64(len(counts))
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		chi += d * d / expected
	}
	return chi
}

// Bytes 250-255 are rejected, not folded onto 0-5.
func TestRandomDigitsRejectsTheBiasedTail(t *testing.T) {
	src := bytes.NewReader(append(bytes.Repeat([]byte{250, 251, 252, 253, 254, 255}, 3), 7, 19, 249, 0, 255, 38, 1, 2, 3, 4))
	got, err := randomDigits(src, 6)
	if err != nil {
		t.Fatal(err)
	}
	if got != "799081" {
		t.Errorf("randomDigits = %s, want 799081 (bytes >= 250 skipped)", got)
	}
	if _, err := randomDigits(bytes.NewReader([]byte{255, 255}), 4); err == nil {
		t.Error("a random source that runs dry gave digits")
	}
}

// A PIN or PUK printed, logged or marshalled shows no digits.
func TestSecretsNeverPrintTheirDigits(t *testing.T) {
	pin := PIN{"135790"}
	puk := PUK{"24680135"}
	type holder struct {
		PIN PIN
		PUK *PUK
	}
	h := holder{pin, &puk}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("made", "pin", pin, "puk", puk, "holder", h)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("made", "pin", pin, "puk", &puk)
	outputs := []string{logged.String()}
	for _, v := range []any{pin, &pin, puk, &puk, h, &h, []PIN{pin}, map[string]PUK{"k": puk}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(j))
	}
	for _, out := range outputs {
		for _, digits := range []string{"135790", "24680135", "3135", "3234"} { // the last two: hex of the first digits
			if strings.Contains(out, digits) {
				t.Errorf("%q shows a secret's digits", out)
			}
		}
	}
	if pin.String() != Masked || fmt.Sprint(puk) != Masked {
		t.Errorf("String() = %q, %q; want %q", pin.String(), fmt.Sprint(puk), Masked)
	}
}

// NewPINFrom plants a known PIN: the digits are the source's bytes modulo
// 10, bytes from 250 up skipped, and the length rules are NewPIN's.
func TestNewPINFromPlantsAKnownPIN(t *testing.T) {
	pin, err := NewPINFrom(strings.NewReader("\x09\x07\xfa\x05\x03\x01\x08"), 0)
	if err != nil || pin.Reveal() != "975318" {
		t.Fatalf("NewPINFrom = %q, %v; want 975318", pin.Reveal(), err)
	}
	if _, err := NewPINFrom(strings.NewReader("12345678"), 5); err == nil {
		t.Error("a 5-digit PIN was made")
	}
}
