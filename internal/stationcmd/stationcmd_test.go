package stationcmd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/stationcmd"
)

// unsetEnv clears the station's variables for the test.
func unsetEnv(t *testing.T) {
	t.Helper()
	for _, env := range []string{"CARDS_STATION_ID", "CARDS_STATION_OUTPUT", "CARDS_CA_URL", "TEMPORAL_ADDRESS", "CARDS_CODEC_KEYS"} {
		t.Setenv(env, "")
		if err := os.Unsetenv(env); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, newIssuer stationcmd.IssuerFactory, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = stationcmd.Run(context.Background(), args, &out, &errOut, newIssuer)
	return code, out.String(), errOut.String()
}

// --help names every variable and default of the contract.
func TestHelpNamesTheVariablesAndDefaults(t *testing.T) {
	unsetEnv(t)
	code, out, errOut := run(t, nil, "run", "--help")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"CARDS_STATION_ID", station.DefaultID, "CARDS_STATION_OUTPUT", ".run/stations/<id>",
		"CARDS_CA_URL", stationcmd.DefaultCAURL, "CARDS_CODEC_KEYS", "TEMPORAL_ADDRESS"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --help lacks %q:\n%s", want, out)
		}
	}
	if _, out, _ := run(t, nil, "--help"); !strings.Contains(out, "fail-next") {
		t.Errorf("--help lacks fail-next:\n%s", out)
	}
}

// `station fail-next` writes the file into the default output folder of
// the station, and refuses a reason that is no failure type.
func TestFailNextWritesTheFile(t *testing.T) {
	unsetEnv(t)
	t.Chdir(t.TempDir())
	code, out, errOut := run(t, nil, "fail-next", "--station-id", "s7", station.ErrCardJam, "jammed", "at", "the", "feeder")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(".run", "stations", "s7", station.FailNextName))
	if err != nil {
		t.Fatalf("%v (stdout %s)", err, out)
	}
	if got := strings.TrimSpace(string(data)); got != "CardJam jammed at the feeder" {
		t.Errorf("fail-next holds %q", got)
	}
	if code, _, errOut := run(t, nil, "fail-next", "Smoke"); code == 0 || !strings.Contains(errOut, "RibbonOut") {
		t.Errorf("fail-next Smoke: exit %d, %q; want a refusal listing the types", code, errOut)
	}
}

// A station id that is no plain name is refused before anything starts,
// and a build without a CA adapter says so instead of running.
func TestRunRefusesWhatCannotWork(t *testing.T) {
	unsetEnv(t)
	t.Chdir(t.TempDir())
	t.Setenv("CARDS_STATION_ID", "../elsewhere")
	if code, _, errOut := run(t, nil); code != 1 || !strings.Contains(errOut, "CARDS_STATION_ID") {
		t.Errorf("station id ../elsewhere: exit %d, %q", code, errOut)
	}
	t.Setenv("CARDS_STATION_ID", "s1")
	if code, _, errOut := run(t, nil); code != 1 || !strings.Contains(errOut, "no CA adapter") {
		t.Errorf("no issuer: exit %d, %q", code, errOut)
	}
	var gotURL string
	failing := func(_ context.Context, s stationcmd.CASettings) (ca.Issuer, error) {
		gotURL = s.URL
		return nil, os.ErrPermission
	}
	if code, _, errOut := run(t, failing, "--ca-url", "http://ca.example:8888"); code != 1 || gotURL != "http://ca.example:8888" || !strings.Contains(errOut, "CARDS_CA_URL") {
		t.Errorf("failing CA factory: exit %d, URL %q, %q", code, gotURL, errOut)
	}
}
