package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/lane"
)

// issueWorld is a world with Issue card on (testkit.ProductionPolicy): the
// test binary's CA, PIN and PUK keys, a PIN letters' folder, and a Temporal
// client to read the card's lane.
type issueWorld struct {
	*world
	ca         *testkit.CAInfo
	secretKeys string
	pinLetters string
	// history is a Temporal client reading the lanes (payloads in clear).
	history client.Client
}

func newIssueWorld(t *testing.T) *issueWorld {
	t.Helper()
	w := newWorld(t)
	w.policyPath = testkit.ProductionPolicyFile(t)
	return &issueWorld{
		world:      w,
		ca:         testkit.CA(t),
		secretKeys: testkit.SecretKeyFile(t),
		pinLetters: filepath.Join(t.TempDir(), "pin-letters"),
		history:    w.client(codec.Plaintext),
	}
}

// startWorker runs the worker binary with Issue card's settings and the
// CA at caCfg (the CA's own, or a caProxy's).
func (w *issueWorld) startWorker(name string, caCfg cfssl.Config) *workerProc {
	w.t.Helper()
	return w.world.startWorker(name, w.databaseURL, w.temporal,
		"CARDS_SECRET_KEYS="+w.secretKeys,
		"CARDS_PIN_LETTER_DIR="+w.pinLetters,
		"CARDS_CA_URL="+caCfg.URL,
		"CARDS_CA_OCSP_URL="+caCfg.OCSPURL,
		"CARDS_CA_DIR="+caCfg.CADir,
		"CARDS_CA_DB_URL="+caCfg.CertDBURL)
}

// stationID is a station id of the test's own (its task queue's number),
// so that parallel tests never take each other's jobs.
func (w *issueWorld) stationID(name string) string {
	return "st-" + strings.TrimPrefix(w.taskQueue, "cards-test-") + "-" + name
}

// printStation is an in-process print station with its log kept.
type printStation struct {
	*testkit.RunningStation
	// Log is the station's log, JSON lines.
	Log *testkit.Buffer
}

// startStation runs a print station in-process whose CA is issuer.
func (w *issueWorld) startStation(name string, issuer ca.Issuer) *printStation {
	w.t.Helper()
	buf := &testkit.Buffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(buf), zap.InfoLevel))
	s := testkit.Station(w.t, stationcmd.Config{
		ID: w.stationID(name), Issuer: issuer, Logger: log,
		Temporal: temporalconn.Settings{Address: w.temporal, Namespace: "default", CodecKeys: codec.Plaintext},
	})
	return &printStation{RunningStation: s, Log: buf}
}

// stationProc is the station binary running as a subprocess.
type stationProc struct {
	t      *testing.T
	ID     string
	Output string
	cmd    *exec.Cmd
	exited chan struct{}
	Log    *testkit.Buffer
}

// startStationProcess runs the station binary with its CA at caCfg and
// returns once it polls its task queue.
func (w *issueWorld) startStationProcess(name string, caCfg cfssl.Config) *stationProc {
	w.t.Helper()
	p := &stationProc{t: w.t, ID: w.stationID(name), Output: filepath.Join(w.t.TempDir(), name), exited: make(chan struct{}), Log: &testkit.Buffer{}}
	p.cmd = exec.Command(testkit.StationBinary(w.t))
	p.cmd.Env = append(os.Environ(),
		"CARDS_STATION_ID="+p.ID,
		"CARDS_STATION_OUTPUT="+p.Output,
		"CARDS_CA_URL="+caCfg.URL,
		"CARDS_CA_OCSP_URL="+caCfg.OCSPURL,
		"CARDS_CA_DIR="+caCfg.CADir,
		"CARDS_CA_DB_URL="+caCfg.CertDBURL,
		"TEMPORAL_ADDRESS="+w.temporal,
		"TEMPORAL_NAMESPACE=default",
		"CARDS_CODEC_KEYS="+codec.Plaintext,
		"CARDS_LOG_FORMAT=json",
	)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	if err := p.cmd.Start(); err != nil {
		w.t.Fatalf("start station %s: %v", p.ID, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	w.t.Cleanup(p.kill)
	testkit.Eventually(w.t, 30*time.Second, func() (bool, string) {
		select {
		case <-p.exited:
			w.t.Fatalf("station %s exited at start:\n%s", p.ID, p.Log.String())
		default:
		}
		return p.Log.Count("Station polling") > 0, "station " + p.ID + " does not poll:\n" + p.Log.String()
	})
	return p
}

// kill ends the station with SIGKILL: the job in hand stops where it is.
func (p *stationProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// approvedCard requests a visitor card (no approval) for a new holder and
// returns its id once it is approved.
func (w *issueWorld) approvedCard(holder string) string {
	w.t.Helper()
	w.cardholders(holder, 1)
	p, id := w.request(w.temporal, holder+"-1", "visitor")
	checkRuns(w.t, w.wait(30*time.Second, p))
	w.waitApproved(id, 10*time.Second)
	return id
}

// issue starts `starter issue` (or `issue repeat`) of the card at station.
func (w *issueWorld) issue(cardID, stationID string, repeat bool) *pending {
	args := []string{"issue"}
	if repeat {
		args = append(args, "repeat")
	}
	return w.starter(w.temporal, append(args, "--card", cardID, "--operator", "olivia", "--station", stationID)...)
}

// card reads the card.
func (w *issueWorld) card(id string) store.Card {
	w.t.Helper()
	c, err := w.store.Card(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// count runs a count query.
func (w *issueWorld) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.store.DB.GetContext(context.Background(), &n, query, args...); err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// numbersTaken is how many card numbers the prefix's counter handed out.
func (w *issueWorld) numbersTaken(prefix string) int {
	return w.count(`SELECT COALESCE(max(next), 1) - 1 FROM card_number_ranges WHERE prefix = $1`, prefix)
}

// events is the card's audit rows with event name.
func (w *issueWorld) events(cardID, event string) int {
	return w.count(`SELECT count(*) FROM card_events WHERE card_id = $1 AND event = $2`, cardID, event)
}

// trail is the card's audit trail, one line per row.
func (w *issueWorld) trail(cardID string) string {
	w.t.Helper()
	var rows []string
	err := w.store.DB.SelectContext(context.Background(), &rows,
		`SELECT COALESCE(event, '') || ' ' || COALESCE(from_state, '') || '->' || to_state || ': ' || COALESCE(comment, '')
		 FROM card_events WHERE card_id = $1 ORDER BY id`, cardID)
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

// caRows counts the certificates CFSSL's store holds under serials: what
// the CA issued, whoever asked it.
func (w *issueWorld) caRows(serials ...string) int {
	w.t.Helper()
	db, err := sql.Open("postgres", w.ca.Config.CertDBURL)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	n := 0
	for _, s := range serials {
		var k int
		if err := db.QueryRow(`SELECT count(*) FROM certificates WHERE serial_number = $1`, []byte(s)).Scan(&k); err != nil {
			w.t.Fatal(err)
		}
		n += k
	}
	return n
}

// serials are the derived serials of a card's usages in a generation.
func serials(cardID string, generation int, usages ...ca.Usage) []string {
	out := make([]string, len(usages))
	for i, u := range usages {
		out[i] = ca.SerialText(cardID, u, generation)
	}
	return out
}

// ocsp asks the CA itself (not a proxy) about a serial: "unknown" when OCSP
// does not know it.
func (w *issueWorld) ocsp(serial string) string {
	w.t.Helper()
	st, err := w.ca.Authority.Status(context.Background(), serial)
	if errors.Is(err, ca.ErrNotFound) {
		return "unknown"
	}
	if err != nil {
		w.t.Fatalf("OCSP for %s: %v", serial, err)
	}
	return string(st)
}

// lane describes the card's lane (its current run).
func (w *issueWorld) lane(cardID string) (runID string, pending []*workflowpb.PendingActivityInfo, running bool) {
	w.t.Helper()
	desc, err := w.history.DescribeWorkflowExecution(context.Background(), lane.WorkflowID(cardID), "")
	if err != nil {
		return "", nil, false
	}
	info := desc.GetWorkflowExecutionInfo()
	return info.GetExecution().GetRunId(), desc.GetPendingActivities(), info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// pendingActivity returns the lane's pending activity of a type, or nil.
func (w *issueWorld) pendingActivity(cardID, activityType string) (string, *workflowpb.PendingActivityInfo) {
	runID, pending, _ := w.lane(cardID)
	for _, p := range pending {
		if p.GetActivityType().GetName() == activityType {
			return runID, p
		}
	}
	return runID, nil
}

// heartbeat is what a pending activity last heartbeated, as text (the
// station heartbeats a JSON string; payloads are in clear in these tests).
func heartbeat(p *workflowpb.PendingActivityInfo) string {
	var parts []string
	for _, d := range p.GetHeartbeatDetails().GetPayloads() {
		var s string
		if json.Unmarshal(d.GetData(), &s) != nil {
			s = string(d.GetData())
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// lastFailure is a pending activity's last failure message. The worker
// encodes failure messages into the failure's attributes (the codec's
// rule), so the message is read from there when it is.
func lastFailure(p *workflowpb.PendingActivityInfo) string {
	f := p.GetLastFailure()
	if attrs := f.GetEncodedAttributes(); attrs != nil {
		var decoded struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(attrs.GetData(), &decoded) == nil && decoded.Message != "" {
			return decoded.Message
		}
	}
	return f.GetMessage()
}

// waitHeartbeat waits until the lane's ProduceCard heartbeats want, and
// returns the run it is in.
func (w *issueWorld) waitHeartbeat(cardID, want string, within time.Duration) string {
	w.t.Helper()
	var runID string
	testkit.Eventually(w.t, within, func() (bool, string) {
		var p *workflowpb.PendingActivityInfo
		runID, p = w.pendingActivity(cardID, station.ProduceCardActivity)
		if p == nil {
			return false, "no pending " + station.ProduceCardActivity + " on the lane of card " + cardID
		}
		hb := heartbeat(p)
		return strings.Contains(hb, want), fmt.Sprintf("%s heartbeats %q, not %q", station.ProduceCardActivity, hb, want)
	})
	return runID
}

// activityRun is what a run's history says of one activity type.
type activityRun struct {
	Scheduled int // times the workflow scheduled it
	Attempts  int // attempts, summed over its schedules
}

// activities counts the activities of a lane run by type.
func (w *issueWorld) activities(cardID, runID string) map[string]activityRun {
	w.t.Helper()
	types := map[int64]string{}
	out := map[string]activityRun{}
	it := w.history.GetWorkflowHistory(context.Background(), lane.WorkflowID(cardID), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			w.t.Fatal(err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			name := a.GetActivityType().GetName()
			types[e.GetEventId()] = name
			r := out[name]
			r.Scheduled++
			out[name] = r
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			name := types[a.GetScheduledEventId()]
			r := out[name]
			r.Attempts += int(a.GetAttempt())
			out[name] = r
		}
	}
	return out
}

// printed reports what a station folder holds for the card: whether its
// job finished (done.json) and the printed files' modification times.
func printed(output, cardID string) (done bool, files map[string]time.Time) {
	dir := filepath.Join(output, cardID)
	files = map[string]time.Time{}
	for _, name := range []string{"card.pdf", "front.png", "back.png", station.ChipName, station.DoneName} {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil {
			files[name] = info.ModTime()
		}
	}
	_, done = files[station.DoneName]
	return done, files
}

// pinLetterCount counts the PIN letters written for the card (files in its
// folder, temporary ones included) and its recorded deliveries.
func (w *issueWorld) pinLetterCount(cardID string) (files, deliveries int) {
	w.t.Helper()
	entries, err := os.ReadDir(filepath.Dir(pinletter.Path(w.pinLetters, cardID)))
	if err == nil {
		files = len(entries)
	}
	return files, w.count(`SELECT count(*) FROM pin_deliveries WHERE card_id = $1`, cardID)
}
