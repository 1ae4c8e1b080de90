package startercmd

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// Each reactivation's e-mail is keyed by its run (reactivated:<run>):
// `starter status` prints it as "reactivated", like a row written before
// the keys, so two reactivations read as two reactivated e-mails told apart
// by their time; --json keeps the key.
func TestStatusPrintsEventsWithoutTheirKeys(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := cards.Status{ID: "c1", State: cards.StateActive, Notifications: []cards.Notification{
		{Event: "reactivated", Recipient: "carol", At: at, Outcome: "sent"},
		{Event: "deactivation-requested:run-0", Recipient: "alice", At: at.Add(time.Hour), Outcome: "sent"},
		{Event: cards.OperationEvent(cards.NotifyReactivated, "run-1"), Recipient: "carol", At: at.Add(2 * time.Hour), Outcome: "sent"},
		{Event: cards.OperationEvent(cards.NotifyReactivated, "run-2"), Recipient: "carol", At: at.Add(3 * time.Hour), Outcome: "sent"},
	}}
	var out bytes.Buffer
	(&output{stdout: &out, stderr: io.Discard}).status(s, "")
	for _, want := range []string{
		"  e-mail:      reactivated to carol at 2026-03-02T09:00:00Z: sent\n",
		"  e-mail:      deactivation-requested to alice at 2026-03-02T10:00:00Z: sent\n",
		"  e-mail:      reactivated to carol at 2026-03-02T11:00:00Z: sent\n",
		"  e-mail:      reactivated to carol at 2026-03-02T12:00:00Z: sent\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "run-") {
		t.Errorf("status prints the runs that key the e-mails:\n%s", out.String())
	}

	out.Reset()
	(&output{json: true, stdout: &out, stderr: io.Discard}).status(s, "")
	var doc cards.Status
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Notifications) != 4 || doc.Notifications[2].Event != "reactivated:run-1" || doc.Notifications[3].Event != "reactivated:run-2" {
		t.Fatalf("--json notifications %+v, want the stored events", doc.Notifications)
	}
}
