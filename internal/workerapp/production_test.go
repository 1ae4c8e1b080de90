package workerapp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/policy"
)

// (Package testkit imports workerapp, so this test writes its own files.)

const (
	issuingPolicy    = "useCases: {issueCard: true}\n"
	requestingPolicy = "useCases: {requestCard: true}\n"
	secretKeyLine    = "test AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// An Issue-card worker refuses to start without its PIN and PUK keys, or
// with a malformed key file, naming the setting and the line; a worker
// without Issue card needs neither.
func TestProductionSettingsAreCheckedAtStart(t *testing.T) {
	issuing, err := policy.Parse([]byte(issuingPolicy))
	if err != nil {
		t.Fatal(err)
	}
	emailing, err := policy.Parse([]byte(issuingPolicy + "cardTypes: {standard: {production: {pinDelivery: email}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	requesting, err := policy.Parse([]byte(requestingPolicy))
	if err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, "# keys\nk1 not-base64!\n")
	for name, c := range map[string]struct {
		cfg  Production
		pol  *policy.Policy
		want string
	}{
		"no key file":                  {Production{}, issuing, "CARDS_SECRET_KEYS is not set"},
		"malformed key file":           {Production{SecretKeys: bad}, issuing, "line 2"},
		"missing CA":                   {Production{SecretKeys: writeFile(t, secretKeyLine)}, issuing, "CARDS_CA_DIR"},
		"issueCard off":                {Production{}, requesting, ""},
		"PIN by e-mail without e-mail": {Production{SecretKeys: writeFile(t, secretKeyLine)}, emailing, "pinDelivery is email but e-mail is off"},
	} {
		t.Run(name, func(t *testing.T) {
			acts := &activities.Activities{}
			cfg := c.cfg
			cfg.CA.CADir = filepath.Join(t.TempDir(), "no-ca")
			closeProduction, err := setUpProduction(cfg, c.pol, false, acts, zap.NewNop())
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				closeProduction()
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
	acts := &activities.Activities{}
	closeProduction, err := setUpProduction(Production{SecretKeys: writeFile(t, secretKeyLine), Authority: struct{ ca.Authority }{}}, issuing, false, acts, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer closeProduction()
	if acts.Secrets == nil || acts.CA == nil || acts.PINLetterDir == "" {
		t.Errorf("activities not given what Issue card needs: secrets %v, CA %v, letters %q", acts.Secrets != nil, acts.CA != nil, acts.PINLetterDir)
	}
}

// A business refusal from an activity is the operation's answer, not an
// error of the worker: the SDK's "Activity error." line for it is demoted;
// an infrastructure error stays an error.
func TestBusinessRefusalsAreNotLoggedAsErrors(t *testing.T) {
	demote := quietDuringOutage(&outage.Tracker{}, &outage.Permissions{})
	refusal := temporal.NewNonRetryableApplicationError("card c is requested", cards.ErrInvalidState, nil)
	if !demote("Activity error.", []any{"Error", refusal}) {
		t.Error("an InvalidState refusal is logged as an error")
	}
	if demote("Activity error.", []any{"Error", errors.New("dial tcp: connection refused")}) {
		t.Error("an infrastructure error is demoted while no outage is reported")
	}
}
