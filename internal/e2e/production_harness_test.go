package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/lane"
)

// production is what a harness with Issue card on adds: the CA, a print
// station of the test's own, the PIN and PUK keys, the PIN letters' folder.
type production struct {
	ca         *testkit.CAInfo
	station    *testkit.RunningStation
	secretKeys string
	pinLetters string
}

// withProduction turns Issue card on (testkit.ProductionPolicy) with the
// test binary's CA and a print station named after the test's task queue,
// so that parallel tests never take each other's jobs.
func withProduction() harnessOption {
	return func(h *harness) {
		h.policyPath = testkit.ProductionPolicyFile(h.t)
		h.prod = &production{
			ca:         testkit.CA(h.t),
			secretKeys: testkit.SecretKeyFile(h.t),
			pinLetters: filepath.Join(h.t.TempDir(), "pin-letters"),
		}
		h.prod.station = h.startStation(h.stationID())
	}
}

// stationID is the test's own station id.
func (h *harness) stationID() string {
	return "st-" + strings.ToLower(strings.TrimPrefix(h.taskQueue, "cards-"))
}

// startStation runs a print station with id until the test ends.
func (h *harness) startStation(id string) *testkit.RunningStation {
	h.t.Helper()
	return testkit.Station(h.t, stationcmd.Config{
		ID:       id,
		Issuer:   h.prod.ca.Authority,
		Temporal: temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
		Logger:   zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel)),
	})
}

// productionConfig adds Issue card's settings to a worker configuration.
func (h *harness) productionConfig(cfg workerapp.Config) workerapp.Config {
	if h.prod != nil {
		cfg.Production = workerapp.Production{SecretKeys: h.prod.secretKeys, PINLetterDir: h.prod.pinLetters, Authority: h.prod.ca.Authority}
	}
	return cfg
}

// approvedCard requests a visitor card (no approval) for a new user.
func (h *harness) approvedCard(cardType string) cards.Status {
	h.t.Helper()
	s := h.request(h.user("active"), cardType)
	if s.State != cards.StateApproved {
		h.t.Fatalf("card %s is %s, want approved", s.ID, s.State)
	}
	return s
}

// issue issues the card at the test's station and returns its status.
func (h *harness) issue(cardID string, extra ...string) cards.Status {
	h.t.Helper()
	return h.statusOf(append([]string{"issue", "--card", cardID, "--operator", "olivia", "--station", h.prod.station.ID}, extra...)...)
}

// ocsp asks the CA's OCSP responder about each of the card's certificates.
func (h *harness) ocsp(s cards.Status) []ca.Status {
	h.t.Helper()
	var out []ca.Status
	for _, c := range s.Certificates {
		st, err := h.prod.ca.Authority.Status(context.Background(), c.Serial)
		if err != nil {
			h.t.Fatalf("OCSP for %s certificate %s: %v", c.Usage, c.Serial, err)
		}
		out = append(out, st)
	}
	return out
}

// waitForOperation waits until an operation runs on the card's lane.
func (h *harness) waitForOperation(cardID string) {
	h.t.Helper()
	testkit.Eventually(h.t, 20*time.Second, func() (bool, string) {
		desc, err := h.client.DescribeWorkflowExecution(context.Background(), lane.WorkflowID(cardID), "")
		if err != nil {
			return false, err.Error()
		}
		return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, "lane not running"
	})
}

// writePolicy writes a policy file for the test.
func writePolicy(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
