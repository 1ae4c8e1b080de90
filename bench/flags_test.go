package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/bench/scenarios"
	"github.com/cardflow/cardflow/bench/systems"
)

// -help lists every registered scenario and system, so that a new one
// shows up without touching the command.
func TestHelpListsTheRegistries(t *testing.T) {
	var out bytes.Buffer
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(&out)
	usage(fs)
	for _, s := range scenarios.All {
		if !strings.Contains(out.String(), s.Name()) || !strings.Contains(out.String(), s.Description()) {
			t.Errorf("-help lacks scenario %s:\n%s", s.Name(), out.String())
		}
	}
	for _, s := range systems.All.Systems {
		if !strings.Contains(out.String(), s.Name()) {
			t.Errorf("-help lacks system %s:\n%s", s.Name(), out.String())
		}
	}
}

// The defaults run every card scenario that produces no cards (issue and
// deactivate-approval are asked for by name), and -scenarios takes
// registered card scenarios or one scale scenario run by name (expiry), alone: waiting (run by
// -waiting N), a mix or a typo is refused by name.
func TestScenariosFlag(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil || strings.Join(cfg.Scenarios, ",") != "noapproval,approval" {
		t.Fatalf("defaults: scenarios %v, %v; want noapproval,approval", cfg.Scenarios, err)
	}
	for _, bad := range []string{"waiting", "approvals"} {
		_, err := parseFlags([]string{"-scenarios", bad})
		if err == nil || !strings.Contains(err.Error(), `unknown scenario "`+bad+`" (use noapproval, approval, issue, deactivate-approval, expiry, order-request, order-issue)`) {
			t.Errorf("-scenarios %s: %v; want it refused by name", bad, err)
		}
	}
	if cfg, err := parseFlags([]string{"-scenarios", "issue"}); err != nil || strings.Join(cfg.Scenarios, ",") != "issue" || namedScale(cfg) != nil {
		t.Errorf("-scenarios issue: %v, %v", cfg.Scenarios, err)
	}
	cfg, err = parseFlags([]string{"-scenarios", "expiry", "-expiry-cards", "5000", "-expiry-due", "40"})
	if err != nil || namedScale(cfg) == nil || namedScale(cfg).Size(cfg) != 5000 || cfg.ExpiryDue != 40 {
		t.Errorf("-scenarios expiry: %+v, %v; want the expiry scale run over 5000 cards, 40 due", cfg.Scenarios, err)
	}
	if _, err := parseFlags([]string{"-scenarios", "expiry,approval"}); err == nil || !strings.Contains(err.Error(), "scenario expiry is a scale run: name it alone") {
		t.Errorf("-scenarios expiry,approval: %v; want it refused", err)
	}
}
