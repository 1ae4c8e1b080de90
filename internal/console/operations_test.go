package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// lifecyclePolicy enables Issue card; standard cards go to station-2 with
// 6-digit PINs, kiosk cards to the default station with 4-digit ones.
const lifecyclePolicy = `
useCases: {requestCard: true, issueCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 2, timeout: 168h}
    mapping: {commonName: "{{.GivenName}} {{.Surname}}", upn: "{{.UPN}}"}
    production: {station: station-2}
  kiosk:
    approval: {required: false}
    mapping: {commonName: "Kiosk {{.Surname}}", upn: "kiosk.{{.ID}}@example.com"}
    production: {pinLength: 4}
`

// cardAfter describes a card after its request, for cardIn.
type cardAfter struct {
	state     cards.State
	cancelled bool
	station   string
	number    string
	gen       int
}

// cardIn writes a card for carol of cardType in the given state, as the
// production activities would have left it.
func (w *world) cardIn(cardType string, a cardAfter) string {
	w.t.Helper()
	id := w.card("carol", "olivia", cardType)
	var validUntil *time.Time
	if produced(a.state) {
		v := time.Date(2029, 3, 31, 0, 0, 0, 0, time.UTC)
		validUntil = &v
	}
	_, err := w.store.DB.ExecContext(context.Background(), `
		UPDATE cards SET state = $2, production_cancelled = $3, station = NULLIF($4, ''), card_number = NULLIF($5, ''),
			production_generation = $6, valid_until = $7 WHERE id = $1`,
		id, a.state, a.cancelled, a.station, a.number, a.gen, validUntil)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// event adds an audit row to the card's trail.
func (w *world) event(cardID, from, to, event, comment string) {
	w.t.Helper()
	_, err := w.store.DB.ExecContext(context.Background(), `
		INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event) VALUES ($1, now(), 'olivia', $2, $3, $4, $5)`,
		cardID, from, to, comment, event)
	if err != nil {
		w.t.Fatal(err)
	}
}

var operationButtons = []string{">Issue card</button>", ">Repeat production</button>", ">Cancel production</button>", ">Activate card</button>"}

func TestCardOperationsShownByStateAndRole(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	for _, c := range []struct {
		name  string
		card  cardAfter
		shown []string
	}{
		{"approved", cardAfter{state: cards.StateApproved}, []string{">Issue card</button>"}},
		{"registered", cardAfter{state: cards.StateRegistered}, []string{">Issue card</button>"}},
		{"failed", cardAfter{state: cards.StateFailed, station: "station-2", number: "C0000101", gen: 1},
			[]string{">Repeat production</button>", ">Cancel production</button>"}},
		{"failed, production cancelled", cardAfter{state: cards.StateFailed, cancelled: true, station: "station-2", number: "C0000102", gen: 1}, nil},
		{"issued", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000103", gen: 1}, []string{">Activate card</button>"}},
		{"active", cardAfter{state: cards.StateActive, station: "station-2", number: "C0000104", gen: 1}, nil},
		{"requested", cardAfter{state: cards.StateRequested}, nil},
	} {
		id := w.cardIn("standard", c.card)
		p := w.as("olivia").get("/cards/" + id)
		if p.status != http.StatusOK {
			t.Fatalf("%s: card page %d", c.name, p.status)
		}
		for _, b := range operationButtons {
			want := strings.Contains(strings.Join(c.shown, " "), b)
			if got := strings.Contains(p.body, b); got != want {
				t.Errorf("%s card, operator olivia: %s shown %v, want %v", c.name, b, got, want)
			}
		}
		// An approver, the holder and someone without roles see no
		// operations, whatever the state.
		for _, who := range []string{"alice", "carol"} {
			w.as(who).get("/cards/"+id).lacks(t, operationButtons...)
		}
	}
}

func TestActivateIsShownWhenIssueCardIsDisabled(t *testing.T) {
	w := newWorldWith(t, strings.Replace(lifecyclePolicy, "issueCard: true", "issueCard: false", 1))
	approved := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	issued := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000002", gen: 1})
	w.as("olivia").get("/cards/"+approved).lacks(t, operationButtons...)
	p := w.as("olivia").get("/cards/" + issued)
	p.has(t, ">Activate card</button>")
	p.lacks(t, ">Issue card</button>")
}

func TestIssueFormDefaultsTheStationAndWarnsOfShortPINs(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	standard := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	kiosk := w.cardIn("kiosk", cardAfter{state: cards.StateApproved})

	p := w.as("olivia").get("/cards/" + standard)
	p.has(t, `for="issue-station">Station`, `value="station-2"`, `<datalist id="stations"><option value="station-1"></option><option value="station-2"></option></datalist>`)
	p.lacks(t, "4-digit PINs")

	p = w.as("olivia").get("/cards/" + kiosk)
	p.has(t, `value="station-1"`, "4-digit PINs are weaker than the 6 NIST SP 800-73 asks for")
}

func TestOperationsGoToTheWorkflowAsTheSignedInUser(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	approved := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	failed := w.cardIn("standard", cardAfter{state: cards.StateFailed, station: "station-2", number: "C0000003", gen: 1})
	issued := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000004", gen: 1})
	olivia := w.as("olivia")

	w.cards.opResult = lane.Status{Type: issuecard.WorkflowType, State: cards.StateIssued, Station: "station-9", Delivery: "letter: /var/pin-letters/x/pin-letter.pdf", Done: true}
	p := olivia.post("/cards/"+approved+"/issue", url.Values{"station": {" station-9 "}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/cards/"+approved {
		t.Fatalf("issue: %d to %q, want 303 to the card", p.status, p.header.Get("Location"))
	}
	olivia.get("/cards/"+approved).has(t, "The card is issued (printed at station-9). The PIN goes to the holder by PIN letter, apart from the card.")

	w.cards.opResult = lane.Status{Type: issuecard.WorkflowType, State: cards.StateFailed, Station: "station-2", Reason: "print station station-2: RibbonOut: the ribbon ran out", Done: true}
	olivia.post("/cards/"+failed+"/repeat", url.Values{"station": {""}})
	olivia.get("/cards/"+failed).has(t, "The production at print station station-2 failed: print station station-2: RibbonOut: the ribbon ran out.")
	olivia.post("/cards/"+failed+"/cancel-production", url.Values{"comment": {"printer scrapped"}})

	w.cards.opResult = lane.Status{Type: activatecard.WorkflowType, State: cards.StateActive, Done: true}
	olivia.post("/cards/"+issued+"/activate", url.Values{})
	olivia.get("/cards/"+issued).has(t, "You activated this card")

	want := []cardops.Operation{
		{CardID: approved, Type: issuecard.WorkflowType, Input: issuecard.Input{CardID: approved, Operator: "olivia", Station: "station-9", Action: issuecard.ActionIssue}},
		{CardID: failed, Type: issuecard.WorkflowType, Input: issuecard.Input{CardID: failed, Operator: "olivia", Action: issuecard.ActionRepeat}},
		{CardID: failed, Type: issuecard.WorkflowType, Input: issuecard.Input{CardID: failed, Operator: "olivia", Action: issuecard.ActionCancel, Comment: "printer scrapped"}},
		{CardID: issued, Type: activatecard.WorkflowType, Input: activatecard.Input{CardID: issued, Operator: "olivia"}},
	}
	got := w.cards.operations()
	if len(got) != len(want) {
		t.Fatalf("operations started: %+v, want %d", got, len(want))
	}
	for i := range want {
		if got[i].CardID != want[i].CardID || got[i].Type != want[i].Type || got[i].Input != want[i].Input || got[i].Summary == "" {
			t.Errorf("operation %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := olivia.get("/cards/" + approved + "/issue"); p.status != http.StatusMethodNotAllowed {
		t.Errorf("GET issue: %d, want 405", p.status)
	}
}

func TestARunningProductionIsFollowedOnTheCardPage(t *testing.T) {
	w := newWorldWithServer(t, lifecyclePolicy, Server{OperationWait: 20 * time.Millisecond})
	id := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	olivia := w.as("olivia")
	w.cards.opRunning = true

	p := olivia.post("/cards/"+id+"/issue", url.Values{"station": {"station-2"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("issue while the station works: %d, want 303 to the card page", p.status)
	}
	w.cards.mu.Lock()
	w.cards.open[id] = &lane.Status{Type: issuecard.WorkflowType, CardID: id, Step: "waiting for print station station-2", Station: "station-2"}
	w.cards.mu.Unlock()

	p = olivia.get("/cards/" + id)
	p.has(t, "The production started at print station station-2; this page follows it",
		"Issue card in progress", "Waiting for print station station-2", `hx-trigger="every 2s"`, "live?state=approved/IssueCard")
	p.lacks(t, operationButtons...)

	// The fragment asks for a reload once the operation has ended.
	p = olivia.get("/cards/" + id + "/live?state=approved/IssueCard")
	if p.header.Get("HX-Refresh") != "" {
		t.Error("the fragment reloads the page while the operation runs")
	}
	w.cards.mu.Lock()
	delete(w.cards.open, id)
	w.cards.mu.Unlock()
	p = olivia.get("/cards/" + id + "/live?state=approved/IssueCard")
	if p.header.Get("HX-Refresh") != "true" {
		t.Error("the fragment does not reload the page when the operation ended")
	}
}

func TestOperationRefusalsAreShownInline(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	id := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	issued := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000005", gen: 1})
	active := w.cardIn("standard", cardAfter{state: cards.StateActive, station: "station-2", number: "C0000006", gen: 1})
	olivia := w.as("olivia")

	w.cards.opEnd = temporal.NewNonRetryableApplicationError(
		"card "+id+" is issued; Issue card needs approved or registered (or failed, for Repeat production)", cards.ErrInvalidState, nil, cards.StateIssued)
	p := olivia.post("/cards/"+id+"/issue", url.Values{"station": {"station-7"}})
	if p.status != http.StatusConflict {
		t.Fatalf("refused issue: %d, want 409", p.status)
	}
	p.has(t, `role="alert"`, "Not possible now:", "Issue card needs approved or registered", `value="station-7"`)

	w.cards.opEnd = temporal.NewNonRetryableApplicationError(
		"user carol already has an active standard card, "+active+", and card type standard allows one (multipleActive: false)", cards.ErrAnotherActiveCard, nil, active)
	p = olivia.post("/cards/"+issued+"/activate", url.Values{})
	if p.status != http.StatusConflict {
		t.Fatalf("refused activation: %d, want 409", p.status)
	}
	p.has(t, "Another active card:", `<a href="/cards/`+active+`">Open the active card</a>`)

	w.cards.opRefusal = &cardops.Refusal{Type: cards.ErrCardBusy, Message: "card " + id + " is busy: IssueCard is open (waiting for print station station-2); wait for it to end (starter status --card " + id + ") and try again"}
	p = olivia.post("/cards/"+id+"/issue", url.Values{"station": {"station-2"}})
	p.has(t, "Busy:", "IssueCard is open (waiting for print station station-2).", "this page shows the open operation")
	p.lacks(t, "starter status")

	// A station that is not an identifier never reaches the workflow.
	before := len(w.cards.operations())
	p = olivia.post("/cards/"+id+"/issue", url.Values{"station": {"station 2"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad station: %d, want 422", p.status)
	}
	p.has(t, "Station: must not contain whitespace")
	if len(w.cards.operations()) != before {
		t.Error("a bad station reached the workflow")
	}
}

func TestCardPageShowsTheProducedCard(t *testing.T) {
	root := t.TempDir()
	w := newWorldWithServer(t, lifecyclePolicy, Server{StationOutputRoot: root})
	issued := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000007", gen: 1})
	if err := w.store.RecordCertificates(context.Background(), issued, 1, certificateRows("hold")); err != nil {
		t.Fatal(err)
	}
	writeImages(t, root, "station-2", issued)

	p := w.as("alice").get("/cards/" + issued)
	p.has(t, "Card number", "C0000007", "Valid until", `<time datetime="2029-03-31">2029-03-31</time>`, "Print station", "station-2",
		"Certificates", "authentication", "0a1b", "hold", "on hold: suspended until the card is activated",
		`<img src="/cards/`+issued+`/front.png?g=1"`, `<img src="/cards/`+issued+`/back.png?g=1"`)
	p.lacks(t, "PIN:", "PUK")

	// Produced, but the station's folder is elsewhere: said, not broken.
	other := w.cardIn("standard", cardAfter{state: cards.StateActive, station: "station-3", number: "C0000008", gen: 1})
	p = w.as("alice").get("/cards/" + other)
	p.has(t, "not available to the console")
	p.lacks(t, "/front.png")

	failed := w.cardIn("standard", cardAfter{state: cards.StateFailed, station: "station-2", number: "C0000009", gen: 2})
	w.event(failed, "approved", "failed", "fail", "print station station-2 did not take the job within 10m0s")
	w.event(failed, "failed", "failed", "produce", "")
	w.event(failed, "failed", "failed", "fail", "print station station-2: CardJam: a card jammed")
	p = w.as("olivia").get("/cards/" + failed)
	p.has(t, "Production failed", "print station station-2: CardJam: a card jammed", ">Repeat production</button>")
}

// A started operation whose wait fails (Temporal does not answer the long
// poll under load) is shown running, not refused: it goes on, and the
// card page follows it. A 503 here once broke the deactivation's page.
func TestAWaitThatFailsShowsTheOperationRunning(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	id := w.cardIn("standard", cardAfter{state: cards.StateActive, station: "station-2", number: "C0000007", gen: 1})
	olivia := w.as("olivia")
	w.cards.opEnd = serviceerror.NewUnavailable("the history service did not answer")
	p := olivia.post("/cards/"+id+"/deactivate", url.Values{"comment": {"on leave"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("deactivate whose wait failed: %d, want 303 to the card page\n%s", p.status, p.body)
	}
	if n := len(w.cards.operations()); n != 1 {
		t.Fatalf("%d operations started, want 1", n)
	}
}
