package cardnumber

import (
	"strings"
	"testing"
)

// The textbook vectors: 79927398713 is valid (check digit 3 of 7992739871),
// and changing any single digit makes it invalid.
func TestLuhnKnownVectors(t *testing.T) {
	for _, tc := range []struct {
		payload string
		check   byte
	}{
		{"7992739871", '3'},
		{"0", '0'},
		{"1", '8'},
		{"4539148803436467"[:15], '7'},
		{"000000001", '8'},
		{"", '0'},
	} {
		if got := Luhn(tc.payload); got != tc.check {
			t.Errorf("Luhn(%q) = %q, want %q", tc.payload, got, tc.check)
		}
	}
	if Luhn("12a4") != 0 {
		t.Error("Luhn of a non-digit string should be 0")
	}
}

func TestValid(t *testing.T) {
	for _, ok := range []string{"79927398713", "C0000000018", "ABC79927398713", "00"} {
		if !Valid(ok) {
			t.Errorf("Valid(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{"", "C", "C1", "79927398710", "c0000000018", "C00000000 18", "C000000001X", "C0000000017", "ABCDEFGHI79927398713"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true, want false", bad)
		}
	}
}

// Every single-digit typing error in a formatted number is caught.
func TestValidCatchesEverySingleDigitError(t *testing.T) {
	number, err := Format("C", 4711, DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(number); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if number[i] == d {
				continue
			}
			typo := number[:i] + string(d) + number[i+1:]
			if Valid(typo) {
				t.Errorf("%s (a typo of %s) passes", typo, number)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	got, err := Format("C", 1, 9)
	if err != nil || got != "C0000000018" {
		t.Fatalf("Format(C, 1, 9) = %q, %v; want C0000000018", got, err)
	}
	got, err = Format("", 7992739871, 10)
	if err != nil || got != "79927398713" {
		t.Fatalf("Format(\"\", 7992739871, 10) = %q, %v; want 79927398713", got, err)
	}
	for n := uint64(0); n < 2000; n++ {
		got, err := Format("XY", n, 6)
		if err != nil || !Valid(got) || !strings.HasPrefix(got, "XY") || len(got) != 2+6+1 {
			t.Fatalf("Format(XY, %d, 6) = %q, %v", n, got, err)
		}
	}
}

func TestFormatRefusesWhatWouldBeAmbiguous(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		n      uint64
		width  int
		want   string
	}{
		{"C", 1000, 3, "exhausted"},
		{"c", 1, 9, "upper-case"},
		{"C1", 1, 9, "upper-case"},
		{"ABCDEFGHI", 1, 9, "at most 8"},
		{"C", 1, 0, "width 0"},
	} {
		_, err := Format(tc.prefix, tc.n, tc.width)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Format(%q, %d, %d) error = %v, want one naming %q", tc.prefix, tc.n, tc.width, err, tc.want)
		}
	}
}
