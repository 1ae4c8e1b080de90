package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricValue finds one sample in a Prometheus text exposition; -1 if absent.
func metricValue(exposition, name, labels string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{` + regexp.QuoteMeta(labels) + `\} ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func metricValueNoLabels(exposition, name string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetricsAndProbes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code, _ := get(t, h.metricsURL+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := get(t, h.metricsURL+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	_, before := get(t, h.metricsURL+"/metrics")
	if v := metricValue(before, "cardflow_cards_total", `state="approved"`); v > 0 {
		t.Fatalf("approved counter starts at %v", v)
	}

	s := h.request(h.user("active"), "")
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	h.request(h.user("active"), "visitor")
	h.refusal(3, cards.ErrUserNotFound, "request", "--user", "ghost")

	_, after := get(t, h.metricsURL+"/metrics")
	checks := []struct {
		name, labels string
		want         float64
	}{
		{"cardflow_cards_total", `state="requested"`, 1},
		{"cardflow_cards_total", `state="approved"`, 2},
		{"cardflow_decision_seconds_count", `state="approved"`, 2},
		{"cardflow_activity_seconds_count", `activity="PersistCard",outcome="ok"`, 2},
		{"cardflow_activity_seconds_count", `activity="TransitionCard",outcome="ok"`, 1},
		{"cardflow_activity_failures_total", `activity="PrepareRequest",type="UserNotFound"`, 1},
	}
	// Request card opens the approvals row with PersistCard and closes it
	// with TransitionCard, which (from version 4) also writes alice's deciding
	// vote: the process runs no write of its own.
	for _, own := range []string{"OpenApproval", "CloseApproval", "RecordVote"} {
		if got := metricValue(after, "cardflow_activity_seconds_count", `activity="`+own+`",outcome="ok"`); got > 0 {
			t.Errorf("%s ran %v times for Request card, want none (written with the card's writes)", own, got)
		}
	}
	// Three state changes (requested, approved; approved at once), the
	// approval's row and vote with them: three write transactions, no more.
	if got := metricValueNoLabels(after, "cardflow_db_write_transactions_total"); got != 3 {
		t.Errorf("write transactions = %v, want 3 (one per state change, the approvals row's open and close and the deciding vote with them)", got)
	}
	for _, c := range checks {
		if got := metricValue(after, c.name, c.labels); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The SDK's own worker metrics share the endpoint; tally flushes each second.
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		_, body := get(t, h.metricsURL+"/metrics")
		// Request card's activities are local (its reads, and from
		// version 5 its writes): the SDK times them as local activities.
		return strings.Contains(body, "temporal_workflow_completed") && strings.Contains(body, "temporal_local_activity_execution_latency"),
			"SDK metrics never appeared on /metrics"
	})
}

func TestLogsCarryIdsWithoutSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.stopWorker()
	core, logs := observer.New(zap.InfoLevel)
	cfg := h.workerConfig(zap.New(core))
	cfg.DatabaseURL = strings.Replace(h.databaseURL, "postgres@", "postgres:s3cret-password@", 1)
	h.startWorkerWith(cfg)
	user := h.user("active")
	s := h.request(user, "")
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	h.stopWorker()

	for _, msg := range []string{"Card requested", "Waiting for approval", "Card persisted", "Card decided", "Card request finished"} {
		entries := logs.FilterMessage(msg).All()
		if len(entries) == 0 {
			t.Errorf("no %q line", msg)
			continue
		}
		fields := entries[0].ContextMap()
		for _, key := range []string{"WorkflowID", "RunID", "cardId", "userId"} {
			if fields[key] == nil || fields[key] == "" {
				t.Errorf("%q line lacks %s: %v", msg, key, fields)
			}
		}
		if fields["cardId"] != s.ID || fields["userId"] != user {
			t.Errorf("%q line names card %v user %v, want %s %s", msg, fields["cardId"], fields["userId"], s.ID, user)
		}
	}
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + fmt.Sprint(v)
		}
		if strings.Contains(line, "s3cret-password") {
			t.Fatalf("a log line leaks the database password: %s", line)
		}
		if e.Level == zap.InfoLevel && strings.Contains(line, "Given"+user) {
			t.Fatalf("an info line carries a payload (the user's name): %s", line)
		}
	}
}
