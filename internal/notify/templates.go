package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"github.com/cardflow/cardflow/internal/cards"
)

//go:embed templates/*.txt templates/*.html
var builtinTemplates embed.FS

// events are the notification events, each with a plain-text and an HTML
// template named after it: requested.txt, requested.html, ...
var events = cards.NotifyEvents

// MessageData is what the body templates see. Names are display names
// (given name and surname from the directory, else the id); times are
// formatted already, in UTC.
type MessageData struct {
	Event             string
	RecipientName     string
	CardID            string
	CardType          string
	CommonName        string
	UPN               string
	UserID            string
	UserName          string
	RequestedBy       string
	RequesterName     string
	ApprovalsRequired int
	// Approvals are the display names of the approvers who approved so far
	// (reminder).
	Approvals []string
	// ExpiresAt is when an undecided request is aborted; empty when unknown.
	ExpiresAt string
	// Decision is set for the decided event.
	Decision *DecisionData
	// CardURL is the console's card page: <CARDS_CONSOLE_URL>/cards/<id>.
	CardURL string
	// CardNumber, ValidUntil (formatted) and PINDelivery (letter, email,
	// none) are set for the holder's issued and activated e-mails.
	CardNumber  string
	ValidUntil  string
	PINDelivery string
	// Operation is what an operation's approval asks: "deactivate",
	// "reactivate" or "lock" (the shared approval process); empty for a
	// request.
	Operation string
	// DaysLeft is how many days an expiring card has left (expiring).
	DaysLeft int
	// Order is set for the order e-mails (order-waiting, order-completed).
	Order *OrderData
}

// OrderData is the batch order an order e-mail is about.
type OrderData struct {
	ID      string
	Kind    string
	Round   int
	Total   int
	Done    int
	Failed  int
	Skipped int
	// URL is the console's order page: <CARDS_CONSOLE_URL>/orders/<id>.
	URL string
}

// DecisionData is the final transition, for the decided event.
type DecisionData struct {
	State     string
	Actor     string
	ActorName string
	Comment   string
	At        string
}

// templates holds the parsed body templates of every event.
type templates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

var templateFuncs = map[string]any{"join": strings.Join}

// loadTemplates parses the built-in templates, each replaced by the file of
// the same name in dir when dir is set and holds one. Every template is
// tried on sample data, so that a mistake (a field that does not exist)
// stops the worker at start, naming the file, not a send hours later.
func loadTemplates(dir string) (*templates, error) {
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return nil, fmt.Errorf("CARDS_MAIL_TEMPLATES %s is not a readable directory: set it to a directory holding some of %s, or leave it empty for the built-in templates", dir, strings.Join(templateFileNames(), ", "))
		}
	}
	t := &templates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, event := range events {
		for _, ext := range []string{".txt", ".html"} {
			name := event + ext
			src, origin, err := templateSource(dir, name)
			if err != nil {
				return nil, err
			}
			var execErr error
			if ext == ".txt" {
				tt, err := texttemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(src)
				if err != nil {
					return nil, fmt.Errorf("mail template %s does not parse: %w", origin, err)
				}
				t.text[event] = tt
				execErr = tt.Execute(&bytes.Buffer{}, sampleData(event))
			} else {
				ht, err := htmltemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(src)
				if err != nil {
					return nil, fmt.Errorf("mail template %s does not parse: %w", origin, err)
				}
				t.html[event] = ht
				execErr = ht.Execute(&bytes.Buffer{}, sampleData(event))
			}
			if execErr != nil {
				return nil, fmt.Errorf("mail template %s fails on a sample card: %w (the fields are those of notify.MessageData)", origin, execErr)
			}
		}
	}
	return t, nil
}

// templateSource returns the override in dir if present, else the built-in
// template, and where it came from (for error messages).
func templateSource(dir, name string) (src, origin string, err error) {
	if dir != "" {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b), path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("mail template %s: %w", path, err)
		}
	}
	b, err := builtinTemplates.ReadFile("templates/" + name)
	if err != nil {
		return "", "", fmt.Errorf("built-in mail template %s: %w", name, err)
	}
	return string(b), "built-in " + name, nil
}

func templateFileNames() []string {
	var names []string
	for _, e := range events {
		names = append(names, e+".txt", e+".html")
	}
	return names
}

// render returns the plain-text and HTML bodies of one e-mail.
func (t *templates) render(d MessageData) (text, html string, err error) {
	var tb, hb bytes.Buffer
	kind := cards.NotifyKind(d.Event)
	if err := t.text[kind].Execute(&tb, d); err != nil {
		return "", "", fmt.Errorf("render %s.txt: %w", kind, err)
	}
	if err := t.html[kind].Execute(&hb, d); err != nil {
		return "", "", fmt.Errorf("render %s.html: %w", kind, err)
	}
	return tb.String(), hb.String(), nil
}

// sampleData is a complete card event, to try templates on at load time.
func sampleData(event string) MessageData {
	d := MessageData{
		Event: event, RecipientName: "Alice Archer", CardID: "00000000-0000-0000-0000-000000000000",
		CardType: "standard", CommonName: "Carol Cole", UPN: "carol@example.com", UserID: "carol",
		UserName: "Carol Cole", RequestedBy: "olivia", RequesterName: "Olivia Operator",
		ApprovalsRequired: 2, Approvals: []string{"Bob Baker"}, ExpiresAt: "2026-01-08 09:00 UTC",
		CardURL: "http://127.0.0.1:8080/cards/00000000-0000-0000-0000-000000000000",
	}
	switch event {
	case cards.NotifyDecided:
		d.Decision = &DecisionData{State: "approved", Actor: "alice", ActorName: "Alice Archer", Comment: "ok", At: "2026-01-02 10:00 UTC"}
	case cards.NotifyExpiring, cards.NotifyExpired:
		d.Event = cards.ExpiringEvent("168h")
		if event == cards.NotifyExpired {
			d.Event = event
		}
		d.CardNumber, d.ValidUntil, d.DaysLeft = "C0000000018", "2029-01-02 10:00 UTC", 7
	case cards.NotifyOrderWaiting, cards.NotifyOrderCompleted:
		d.Event = cards.OrderEvent(event, 1)
		d.Order = &OrderData{ID: d.CardID, Kind: "issue", Round: 1, Total: 20, Done: 17, Failed: 2, Skipped: 1, URL: "http://127.0.0.1:8080/orders/" + d.CardID}
	case cards.NotifyIssued, cards.NotifyActivated, cards.NotifyReactivated, cards.NotifyLocked:
		d.Decision = &DecisionData{State: event, Actor: "olivia", ActorName: "Olivia Operator", At: "2026-01-02 10:00 UTC"}
		d.CardNumber, d.ValidUntil, d.PINDelivery = "C0000000018", "2029-01-02 10:00 UTC", "letter"
	}
	return d
}
