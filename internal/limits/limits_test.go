package limits

import (
	"errors"
	"strings"
	"testing"
)

func TestEachLimitJustUnderAndJustOver(t *testing.T) {
	cases := []struct {
		name  string
		check func(field, s string) error
		ok    []string
		bad   []string
	}{
		{"comment", Comment,
			[]string{"", "looks fine", strings.Repeat("é", MaxComment)},
			[]string{strings.Repeat("é", MaxComment+1), "nul\x00inside", "\xff\xfe"}},
		{"identifier", Identifier,
			[]string{"a", "alice", strings.Repeat("x", MaxIdentifier)},
			[]string{"", strings.Repeat("x", MaxIdentifier+1), "al ice", "al\tice", "al\nice", "bell\a"}},
		{"name", Name,
			[]string{"A", "Anne Marie", strings.Repeat("n", MaxName)},
			[]string{"", " ", strings.Repeat("n", MaxName+1), "Ann\ne"}},
		{"address", Address,
			[]string{"a@b", "carol@example.org", strings.Repeat("u", MaxAddress-12) + "@example.org"},
			[]string{"", "carol", "@example.org", "carol@", "a@b@c", "carol @example.org",
				"carol@example.org\r\nBcc: x@y", strings.Repeat("u", MaxAddress-11) + "@example.org"}},
		{"state", UserState,
			[]string{"active", "inactive"},
			[]string{"", "bogus", "Active"}},
	}
	for _, c := range cases {
		for _, s := range c.ok {
			if err := c.check("f", s); err != nil {
				t.Errorf("%s(%.20q): refused: %v", c.name, s, err)
			}
		}
		for _, s := range c.bad {
			err := c.check("f", s)
			var v *Violation
			if !errors.As(err, &v) {
				t.Errorf("%s(%.20q): accepted, want a Violation", c.name, s)
				continue
			}
			if v.Field != "f" || !strings.HasPrefix(err.Error(), "f: ") {
				t.Errorf("%s(%.20q): %q does not name the field", c.name, s, err)
			}
		}
	}
}

func TestViolationNeverRepeatsTheValue(t *testing.T) {
	secret := strings.Repeat("s3cr3t", 1000)
	for _, check := range []func(string, string) error{Comment, Identifier, Name, Address} {
		err := check("field", secret)
		if err == nil {
			t.Fatal("an oversized value passed")
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("message repeats the value: %.80s", err)
		}
		if len(err.Error()) > 120 {
			t.Errorf("message is %d bytes; a short reason is kept in the status", len(err.Error()))
		}
	}
}
