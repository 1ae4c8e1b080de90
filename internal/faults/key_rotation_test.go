package faults

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// rotation holds the key files of one rotation from key 2025-05 to 2026-11,
// as the private payloads guide describes it.
type rotation struct {
	// before lists the old key only; phase1 adds the new key decrypt-only;
	// phase2 promotes it (the old key stays to read old histories).
	before, phase1, phase2 string
}

func newRotation(t *testing.T) rotation {
	t.Helper()
	dir := t.TempDir()
	oldKey, newKey := "2025-05 "+randomKey(t), "2026-11 "+randomKey(t)
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return rotation{
		before: write("before", oldKey+"\n"),
		phase1: write("phase1", newKey+" "+codec.DecryptOnlyMarker+"\n"+oldKey+"\n"),
		phase2: write("phase2", newKey+"\n"+oldKey+"\n"),
	}
}

func randomKey(t *testing.T) string {
	secret := make([]byte, codec.KeySize)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(secret)
}

// keyed starts a worker that reads keyFile.
func (w *world) keyed(name, keyFile string) *workerProc {
	w.t.Helper()
	return w.startWorker(name, w.databaseURL, w.temporal, "CARDS_CODEC_KEYS="+keyFile)
}

// client dials the shared dev server with keyFile's codec, as a starter or
// the CLI through the codec server would.
func (w *world) client(keyFile string) client.Client {
	w.t.Helper()
	opts, err := temporalconn.Options(temporalconn.Settings{Address: w.temporal, Namespace: "default", Logger: logging.Discard, CodecKeys: keyFile})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := temporalconn.Dial(context.Background(), opts, 10*time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(c.Close)
	return c
}

// requestStandard requests a card that waits for an approval, with keyFile.
func (w *world) requestStandard(user, keyFile string) string {
	w.t.Helper()
	p, id := w.request(w.temporal, user, "standard", "--codec-keys", keyFile)
	checkRuns(w.t, w.wait(60*time.Second, p))
	return id
}

// approve signals alice's approval through c (its key encrypts it).
func (w *world) approve(c client.Client, cardID string) {
	w.t.Helper()
	err := c.SignalWorkflow(context.Background(), requestcard.WorkflowID(cardID), "", cards.Approve, cards.DecisionInput{Actor: "alice", Comment: "approved during the key rotation"})
	if err != nil {
		w.t.Fatalf("signal approve to %s: %v", cardID, err)
	}
}

// taskFailures returns the causes of the WorkflowTaskFailed events of a
// card's workflow (event types and causes are never encrypted).
func (w *world) taskFailures(c client.Client, cardID string) []string {
	w.t.Helper()
	var causes []string
	it := c.GetWorkflowHistory(context.Background(), requestcard.WorkflowID(cardID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			w.t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			causes = append(causes, failedCause(e))
		}
	}
	return causes
}

func failedCause(e *historypb.HistoryEvent) string {
	return e.GetWorkflowTaskFailedEventAttributes().GetCause().String()
}

// Two workers rolled through a key rotation as documented: the new key
// first as a decrypt-only line everywhere, then promoted, one worker at a
// time, while approvals arrive encrypted with whichever key the sender
// holds. Every approval counts, no workflow task fails, every card is
// approved.
func TestRollingKeyRotationWithTwoWorkersLosesNoDecision(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	keys := newRotation(t)
	holders := w.cardholders("rotate", 4)
	a := w.keyed("a", keys.before)
	b := w.keyed("b", keys.before)
	var ids []string
	for _, u := range holders {
		ids = append(ids, w.requestStandard(u, keys.before))
	}

	// Phase 1, rolling: a has the new key (decrypt-only), b not yet. An
	// approval from a sender still on the old key.
	a.stop()
	a = w.keyed("a-phase1", keys.phase1)
	w.approve(w.client(keys.before), ids[0])
	b.stop()
	b = w.keyed("b-phase1", keys.phase1)
	w.waitApproved(ids[0], 30*time.Second)

	// Phase 2, rolling: a encrypts with the new key, b still on phase 1
	// reads it. Approvals from a sender on phase 2 (new key) and one on
	// phase 1 (old key) while the workers differ.
	a.stop()
	w.keyed("a-phase2", keys.phase2)
	w.approve(w.client(keys.phase2), ids[1])
	w.approve(w.client(keys.phase1), ids[2])
	w.waitApproved(ids[1], 30*time.Second)
	w.waitApproved(ids[2], 30*time.Second)
	b.stop()
	w.keyed("b-phase2", keys.phase2)
	w.approve(w.client(keys.phase2), ids[3])
	w.waitApproved(ids[3], 30*time.Second)

	reader := w.client(keys.phase2)
	for _, id := range ids {
		if failures := w.taskFailures(reader, id); len(failures) > 0 {
			t.Errorf("card %s: workflow tasks failed during the rotation: %v", id, failures)
		}
	}
	if c := w.counts(); c.Approved != 4 || c.Doubled != 0 || c.Changes != 8 || c.Votes != 4 {
		t.Fatalf("after the rotation: %+v; want 4 approved cards, 8 state changes and 4 votes in the audit trail, none doubled", c)
	}
}

// A worker that lacks the key a signal was encrypted with (the rotation
// done out of order: a sender promoted the new key before this worker got
// it) fails the workflow task and leaves the signal in place, instead of
// dropping it; once the worker has the key the approval applies, with no
// nondeterminism.
func TestWorkerWithoutTheKeyRetriesTheSignalInsteadOfDroppingIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	keys := newRotation(t)
	holder := w.cardholders("stale", 1)[0]
	old := w.keyed("old", keys.before)
	id := w.requestStandard(holder, keys.before)
	reader := w.client(keys.phase2)
	w.approve(reader, id)

	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		return len(w.taskFailures(reader, id)) > 0, fmt.Sprintf("the worker without key 2026-11 did not fail the workflow task (it dropped the signal?); card state %s; worker log:\n%s",
			w.cardState(id), grepLog(old.Log.String(), "signal"))
	})
	if state := w.cardState(id); state != string(cards.StateRequested) {
		t.Fatalf("card %s while the worker cannot read the signal; want requested", state)
	}
	why := grepLog(old.Log.String(), codec.CannotDecryptInWorkflow)
	if !strings.Contains(why, "2026-11") {
		t.Errorf("the worker log does not say why the task fails:\n%s", grepLog(old.Log.String(), "panic"))
	}
	t.Logf("the old worker says: %.400s", why)
	old.stop()

	w.keyed("new", keys.phase1)
	w.waitApproved(id, 60*time.Second)
	failures := w.taskFailures(reader, id)
	for _, cause := range failures {
		if strings.Contains(cause, "NON_DETERMINISTIC") {
			t.Fatalf("replay with the key failed: %v", failures)
		}
	}
	t.Logf("the old worker failed the workflow task (%v); the worker with the key applied the approval", failures)
}

// cardState is the stored state of a card.
func (w *world) cardState(cardID string) string {
	w.t.Helper()
	var state string
	if err := w.store.DB.GetContext(context.Background(), &state, `SELECT state FROM cards WHERE id = $1`, cardID); err != nil {
		w.t.Fatal(err)
	}
	return state
}

// grepLog returns the lines of log that contain word.
func grepLog(log, word string) string {
	var lines []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, word) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
