package startercmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/limits"
)

// ran is what one in-process starter run printed and returned.
type ran struct {
	code           int
	stdout, stderr string
	doc            errorDoc
}

// runStarter runs the starter with args and, when stdout holds an error
// document, decodes it.
func runStarter(t *testing.T, args ...string) ran {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	r := ran{code: code, stdout: out.String(), stderr: errOut.String()}
	if strings.HasPrefix(strings.TrimSpace(r.stdout), `{"error"`) || strings.Contains(r.stdout, `"error": {`) {
		if err := json.Unmarshal(out.Bytes(), &r.doc); err != nil {
			t.Fatalf("starter %.200q: stdout is not one JSON error document: %v\n%s", args, err, r.stdout)
		}
	}
	return r
}

// Each flag that carries an input of the contract: just inside its limit
// the command goes on to Temporal or PostgreSQL (here unreachable: exit 1),
// just outside it stops with BadUsage (exit 2) naming the flag and the rule,
// having sent nothing.
func TestStarterFlagsJustUnderAndJustOverTheLimits(t *testing.T) {
	down := closedAddress(t)
	// --temporal-wait 0s: a command that passed the checks gives up at once.
	globals := []string{"--temporal-address", down, "--temporal-wait", "0s", "--database-url", "postgres://postgres@" + down + "/cards?sslmode=disable", "--json"}
	id := func(n int) string { return strings.Repeat("i", n) }
	comment := func(n int) string { return strings.Repeat("é", n) }
	card := "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001"
	cases := []struct {
		name    string
		command func(v string) []string
		ok, bad []string
		rule    string
	}{
		{"request --user", func(v string) []string { return []string{"request", "--user", v, "--operator", "olivia"} },
			[]string{"u", id(limits.MaxIdentifier)}, []string{"", id(limits.MaxIdentifier + 1), id(10000), "al ice", "ali\x00ce"}, "--user: "},
		{"request --operator", func(v string) []string { return []string{"request", "--user", "u1", "--operator", v} },
			[]string{id(limits.MaxIdentifier)}, []string{"", id(limits.MaxIdentifier + 1), "oli\nvia"}, "--operator: "},
		{"request --card-type", func(v string) []string {
			return []string{"request", "--user", "u1", "--operator", "olivia", "--card-type", v}
		},
			[]string{id(limits.MaxIdentifier)}, []string{id(limits.MaxIdentifier + 1), "visitor badge"}, "--card-type: "},
		{"approve --approver", func(v string) []string { return []string{"approve", "--request", card, "--approver", v} },
			[]string{id(limits.MaxIdentifier)}, []string{"", id(limits.MaxIdentifier + 1), "al\tice"}, "--approver: "},
		{"approve --comment", func(v string) []string {
			return []string{"approve", "--request", card, "--approver", "alice", "--comment", v}
		},
			[]string{"", comment(limits.MaxComment)}, []string{comment(limits.MaxComment + 1), "nul\x00"}, "--comment: "},
		{"reject --comment", func(v string) []string {
			return []string{"reject", "--request", card, "--approver", "alice", "--comment", v}
		},
			[]string{comment(limits.MaxComment)}, []string{comment(limits.MaxComment + 1)}, "--comment: "},
		{"reject --approver", func(v string) []string {
			return []string{"reject", "--request", card, "--approver", v, "--comment", "no"}
		},
			[]string{id(limits.MaxIdentifier)}, []string{id(limits.MaxIdentifier + 1)}, "--approver: "},
		{"cancel --operator", func(v string) []string { return []string{"cancel", "--request", card, "--operator", v} },
			[]string{id(limits.MaxIdentifier)}, []string{"", id(limits.MaxIdentifier + 1)}, "--operator: "},
		{"cancel --comment", func(v string) []string {
			return []string{"cancel", "--request", card, "--operator", "olivia", "--comment", v}
		},
			[]string{comment(limits.MaxComment)}, []string{comment(limits.MaxComment + 1)}, "--comment: "},
		{"list --user", func(v string) []string { return []string{"list", "--user", v} },
			[]string{id(limits.MaxIdentifier)}, []string{id(limits.MaxIdentifier + 1), "a b"}, "--user: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range c.ok {
				r := runStarter(t, append(globals, c.command(v)...)...)
				if r.code != ExitFailure || r.doc.Error.Type == "BadUsage" {
					t.Errorf("%.20q (%d characters): exit %d (%s: %s), want it past the checks to the unreachable server (exit 1)",
						v, len([]rune(v)), r.code, r.doc.Error.Type, r.doc.Error.Message)
				}
			}
			for _, v := range c.bad {
				r := runStarter(t, append(globals, c.command(v)...)...)
				if r.code != ExitUsage || r.doc.Error.Type != "BadUsage" || !strings.HasPrefix(r.doc.Error.Message, c.rule) {
					t.Errorf("%.20q (%d characters): exit %d, %s: %.200s; want exit 2 BadUsage starting %q",
						v, len([]rune(v)), r.code, r.doc.Error.Type, r.doc.Error.Message, c.rule)
				}
				if len(r.doc.Error.Message) > 200 {
					t.Errorf("%.20q: the message is %d bytes: it repeats the value", v, len(r.doc.Error.Message))
				}
			}
		})
	}
}

// --json keeps its promise for errors found while reading the arguments:
// one error document on stdout, with a type.
func TestJSONArgumentErrorsAreDocuments(t *testing.T) {
	for _, args := range [][]string{
		{"--json"},
		{"--json", "fly"},
		{"--json", "request"},
		{"request", "--user", "u1", "--bogus", "--json"},
		{"list", "--limit", "zero", "--json"},
		{"list", "--state", "lost", "--json=true"},
		{"--json", "reject", "--request", "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001", "--approver", "alice"},
		{"--json", "status", "--request", strings.Repeat("x", 10000)},
	} {
		r := runStarter(t, args...)
		if r.code != ExitUsage || r.doc.Error.Type != "BadUsage" || r.doc.Error.Message == "" {
			t.Errorf("starter %.80q: exit %d, stdout %.300q; want exit 2 and one BadUsage document", args, r.code, r.stdout)
		}
		if r.stderr == "" {
			t.Errorf("starter %.80q: nothing on stderr for people", args)
		}
	}
	// Without --json (or with --json=false) stdout stays empty.
	for _, args := range [][]string{{"request"}, {"request", "--json=false"}, {"request", "--", "--json"}} {
		if r := runStarter(t, args...); r.code != ExitUsage || r.stdout != "" {
			t.Errorf("starter %q: exit %d, stdout %q; want exit 2 and nothing on stdout", args, r.code, r.stdout)
		}
	}
}

// A malformed Temporal address fails at once, naming it, instead of being
// retried for --temporal-wait like an outage; a non-positive --timeout is a
// usage error, not advice about a request that was never sent.
func TestMalformedSettingsAreUsageErrors(t *testing.T) {
	status := []string{"status", "--request", "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001"}
	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		wantType string
		want     string
	}{
		{"port not a number", nil, []string{"--temporal-address", "localhost:notaport"}, "BadAddress", `Temporal address "localhost:notaport" has port "notaport", not a number from 1 to 65535`},
		{"only colons", nil, []string{"--temporal-address", "::::"}, "BadAddress", `Temporal address "::::" is not host:port`},
		{"port out of range", nil, []string{"--temporal-address", "localhost:70000"}, "BadAddress", `has port "70000", not a number from 1 to 65535`},
		{"from the environment", map[string]string{"TEMPORAL_ADDRESS": "localhost:"}, nil, "BadAddress", `Temporal address "localhost:" is not host:port`},
		{"zero timeout", nil, []string{"--timeout", "0s"}, "BadUsage", "--timeout (CARDS_TIMEOUT) must be positive, got 0s"},
		{"negative timeout", nil, []string{"--timeout=-5s"}, "BadUsage", "--timeout (CARDS_TIMEOUT) must be positive, got -5s"},
		{"negative temporal wait", nil, []string{"--temporal-wait=-1s"}, "BadUsage", "--temporal-wait (CARDS_TEMPORAL_WAIT) must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			start := time.Now()
			r := runStarter(t, append(append([]string{"--temporal-wait", "30s", "--json"}, c.args...), status...)...)
			if r.code != ExitUsage || r.doc.Error.Type != c.wantType || !strings.Contains(r.doc.Error.Message, c.want) {
				t.Fatalf("exit %d, %s: %s; want exit 2 %s saying %q", r.code, r.doc.Error.Type, r.doc.Error.Message, c.wantType, c.want)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("took %s: it was retried", took)
			}
		})
	}
	// The smallest positive timeout is accepted (and the closed server
	// then reported as such).
	r := runStarter(t, append([]string{"--codec-keys", "none", "--timeout", "1ns", "--temporal-wait", "0s", "--temporal-address", closedAddress(t), "--json"}, status...)...)
	if r.code != ExitFailure || r.doc.Error.Type != "TemporalUnreachable" {
		t.Fatalf("--timeout 1ns: exit %d, %+v; want it accepted", r.code, r.doc.Error)
	}
}

// Every error printed with --json has a type, whatever made it.
func TestEveryErrorHasAType(t *testing.T) {
	for _, err := range []error{
		temporal.NewApplicationError("no type", ""),
		&failure{Err: errors.New("no type")},
		errors.New("plain"),
		&limits.Violation{Field: "--user", Rule: "must not be empty"},
	} {
		var out bytes.Buffer
		(&output{json: true, stdout: &out, stderr: io.Discard}).fail(err)
		var doc errorDoc
		if json.Unmarshal(out.Bytes(), &doc) != nil || doc.Error.Type == "" {
			t.Errorf("%v: %q has no type", err, out.String())
		}
	}
}

// An answer the worker encrypted with a key this starter lacks is a key
// mismatch, whatever Go type name the SDK gave the failure.
func TestUnreadableFailureIsCannotDecrypt(t *testing.T) {
	for _, errType := range []string{"", "wrapError"} {
		err := temporal.NewApplicationError(codec.UnreadableFailurePrefix+"payload was encrypted with key k1, which CARDS_CODEC_KEYS does not list", errType)
		code, gotType, message := classify(err)
		if code != ExitFailure || gotType != "CannotDecrypt" || !strings.Contains(message, "key k1") || !strings.Contains(message, "CARDS_CODEC_KEYS") {
			t.Errorf("type %q: classified %d %s %q", errType, code, gotType, message)
		}
	}
	// A business refusal keeps its type and exit code, readable or not.
	refused := temporal.NewApplicationError(codec.UnreadableFailurePrefix+"...", "UserNotFound")
	if code, gotType, _ := classify(refused); code != ExitRefused || gotType != "UserNotFound" {
		t.Errorf("an unreadable refusal: %d %s", code, gotType)
	}
}
