package activities_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// plantedPIN is the PIN the tests plant: the digits 9 7 5 3 1 8, which no
// card number, counter or id of these tests holds.
const plantedPIN = "975318"

// pinWorld is one card of carol's with a number, the activities with secret
// keys and a planted PIN, and a log that the tests read.
type pinWorld struct {
	t      *testing.T
	store  *store.Store
	acts   *activities.Activities
	env    *testsuite.TestActivityEnvironment
	log    *testkit.Buffer
	cardID string
	number string
}

func newPINWorld(t *testing.T) *pinWorld {
	t.Helper()
	ctx := context.Background()
	st, _ := testkit.Store(t, cards.User{ID: "carol", GivenName: "Carol", Surname: "Cole", UPN: "carol@corp.example.com",
		Email: "carol@example.com", State: "active"})
	w := &pinWorld{t: t, store: st, acts: activities.New(st, nil), log: &testkit.Buffer{}, cardID: uuid.NewString()}
	if _, err := st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
		VALUES ($1, 'carol', 'standard', 'Cole, Carol', 'carol@corp.example.com', 'approved', 'carol', $2)`, w.cardID, "card-"+w.cardID); err != nil {
		t.Fatal(err)
	}
	number, err := st.AssignCardNumber(ctx, w.cardID, "C")
	if err != nil {
		t.Fatal(err)
	}
	w.number = number
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := secrets.ParseKeys("test-keys", strings.NewReader("s1 "+base64.StdEncoding.EncodeToString(key)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Secrets = keys
	w.acts.PINLetterDir = filepath.Join(t.TempDir(), "pin-letters")
	activities.PlantPIN(w.acts, func(length int) (secrets.PIN, error) {
		return secrets.NewPINFrom(strings.NewReader("\x09\x07\x05\x03\x01\x08"), length)
	})
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(w.log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	w.env = suite.NewTestActivityEnvironment()
	w.env.RegisterActivity(w.acts)
	return w
}

// produce gives the card its secrets, twice (a retry keeps the first), and
// returns the PUK it got.
func (w *pinWorld) produce() string {
	w.t.Helper()
	ctx := context.Background()
	if err := activities.EnsureSecrets(w.acts, ctx, w.cardID, 0); err != nil {
		w.t.Fatal(err)
	}
	first, _, _ := w.store.SealedSecret(ctx, w.cardID, store.SecretPIN)
	if err := activities.EnsureSecrets(w.acts, ctx, w.cardID, 0); err != nil {
		w.t.Fatal(err)
	}
	again, found, err := w.store.SealedSecret(ctx, w.cardID, store.SecretPIN)
	if err != nil || !found || string(again.Box) != string(first.Box) {
		w.t.Fatalf("a second ensureSecrets changed the sealed PIN (%v, %v)", found, err)
	}
	if pin, err := w.acts.Secrets.OpenPIN(w.cardID, again); err != nil || pin.Reveal() != plantedPIN {
		w.t.Fatalf("the sealed PIN is not the planted one: %v", err)
	}
	sealedPUK, found, err := w.store.SealedSecret(ctx, w.cardID, store.SecretPUK)
	if err != nil || !found {
		w.t.Fatalf("no PUK: %v, %v", found, err)
	}
	puk, err := w.acts.Secrets.OpenPUK(w.cardID, sealedPUK)
	if err != nil || len(puk.Reveal()) != secrets.PUKLength {
		w.t.Fatalf("PUK: %v", err)
	}
	return puk.Reveal()
}

// deliver runs DeliverPIN as Temporal runs it and returns its result.
func (w *pinWorld) deliver(method string) (string, error) {
	w.t.Helper()
	v, err := w.env.ExecuteActivity(w.acts.DeliverPIN, activities.DeliverPINInput{CardID: w.cardID, Method: method})
	if err != nil {
		return "", err
	}
	var where string
	if err := v.Get(&where); err != nil {
		w.t.Fatal(err)
	}
	return where, nil
}

// Values that hold digits by nature, masked before the database is searched
// for a secret: a timestamp's microseconds or a UUID could hold six given
// digits by chance, and neither can carry a PIN.
var (
	timestamps = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:\d{2})?|Z)?`)
	uuids      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	byteas     = regexp.MustCompile(`\\\\x([0-9a-f]*)`)
)

// dumpTables is every row of every table of the database as JSON text, a
// bytea's bytes in clear, with timestamps and UUIDs masked.
func (w *pinWorld) dumpTables() map[string]string {
	w.t.Helper()
	var tables []string
	if err := w.store.DB.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		w.t.Fatal(err)
	}
	if len(tables) < 10 {
		w.t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		var rows []string
		if err := w.store.DB.Select(&rows, `SELECT row_to_json(t)::text FROM `+pq.QuoteIdentifier(table)+` t`); err != nil {
			w.t.Fatal(err)
		}
		text := strings.Join(rows, "\n")
		text = byteas.ReplaceAllStringFunc(text, func(m string) string {
			raw, err := hex.DecodeString(byteas.FindStringSubmatch(m)[1])
			if err != nil {
				w.t.Fatalf("%s: bytea %q: %v", table, m, err)
			}
			return "bytea[" + string(raw) + "]"
		})
		out[table] = uuids.ReplaceAllString(timestamps.ReplaceAllString(text, "<time>"), "<uuid>")
	}
	return out
}

// noSecretInTables fails the test if any table holds the PIN or the PUK.
func (w *pinWorld) noSecretInTables(puk string) {
	w.t.Helper()
	dump := w.dumpTables()
	for table, text := range dump {
		for name, secret := range map[string]string{"PIN": plantedPIN, "PUK": puk} {
			if strings.Contains(text, secret) {
				w.t.Errorf("table %s holds the %s: %s", table, name, text)
			}
		}
	}
	if !strings.Contains(dump["card_secrets"], `"kind":"puk"`) || !strings.Contains(dump["card_secrets"], "bytea[") || !strings.Contains(dump["pin_deliveries"], `"method"`) {
		w.t.Errorf("the dump misses the PUK's row or the delivery's: %v", dump)
	}
}

// pinGoneAndPUKKept checks the sealed secrets after a delivery.
func (w *pinWorld) pinGoneAndPUKKept() {
	w.t.Helper()
	ctx := context.Background()
	if _, found, err := w.store.SealedSecret(ctx, w.cardID, store.SecretPIN); err != nil || found {
		w.t.Errorf("the sealed PIN is still there after the delivery (%v)", err)
	}
	if _, found, err := w.store.SealedSecret(ctx, w.cardID, store.SecretPUK); err != nil || !found {
		w.t.Errorf("the PUK went with the PIN (%v)", err)
	}
}

// The proof for the PIN letter: the planted PIN is in the letter, and
// nowhere else: not in any table, the activity's result (which lands in the
// history) or the log. The sealed PIN is gone afterwards, the PUK stays,
// and a retried delivery delivers nothing again.
func TestThePINLetterHoldsThePlantedPINAndNothingElseDoes(t *testing.T) {
	w := newPINWorld(t)
	puk := w.produce()
	where, err := w.deliver("")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.acts.PINLetterDir, w.cardID, "pin-letter.pdf")
	if where != "letter: "+path {
		t.Fatalf("DeliverPIN = %q, want letter: %s", where, path)
	}
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(" + plantedPIN + ")", "(" + w.number + ")", "(Carol Cole)", "(carol@corp.example.com)", "kept by the card office"} {
		if !strings.Contains(string(pdf), want) {
			t.Errorf("the PIN letter lacks %q", want)
		}
	}
	if strings.Contains(string(pdf), puk) {
		t.Error("the PIN letter holds the PUK")
	}
	w.noSecretInTables(puk)
	w.pinGoneAndPUKKept()
	d, found, err := w.store.PINDelivery(context.Background(), w.cardID)
	if err != nil || !found || d.Method != "letter" || d.Location != path {
		t.Errorf("delivery record %+v, %v, %v", d, found, err)
	}
	logs := w.log.String()
	if w.log.Count("PIN delivered", w.cardID, path) != 1 {
		t.Errorf("the log does not tell where the PIN went:\n%s", logs)
	}
	for _, secret := range []string{plantedPIN, puk} {
		if strings.Contains(logs, secret) || strings.Contains(where, secret) {
			t.Errorf("a secret reached the log or the result:\n%s\n%s", logs, where)
		}
	}

	// A retry (the result was lost) finds the delivery and writes no
	// second letter: the mail room would print it twice.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	again, err := w.deliver("letter")
	if err != nil || again != where {
		t.Fatalf("second DeliverPIN = %q, %v; want %q", again, err, where)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a retried delivery wrote the letter again (%v)", err)
	}
}

// By e-mail the PIN goes straight to the holder: in the body, never in the
// subject or a header, and not through the outbox or the notifications
// table. The Notifier sends it when no PINMailer is set.
func TestThePINByEmailIsInTheBodyOnly(t *testing.T) {
	w := newPINWorld(t)
	puk := w.produce()
	server := smtptest.Start(t)
	svc, err := notify.New(notify.Config{SMTPURL: "smtp://" + server.Addr + "?tls=none", From: "cardflow <cards@example.com>"}, w.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Notifier = svc
	where, err := w.deliver("email")
	if err != nil {
		t.Fatal(err)
	}
	if where != "email: e-mail to carol@example.com" {
		t.Fatalf("DeliverPIN = %q", where)
	}
	msgs := server.To("carol@example.com")
	if len(msgs) != 1 {
		t.Fatalf("%d messages to carol, want 1", len(msgs))
	}
	m := msgs[0]
	if got, want := m.Header.Get("Subject"), "Your PIN for card "+w.number; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	for name, values := range m.Header {
		if strings.Contains(strings.Join(values, " "), plantedPIN) {
			t.Errorf("header %s holds the PIN", name)
		}
	}
	if !strings.Contains(m.Text, plantedPIN) || strings.Contains(m.Text, puk) {
		t.Errorf("the body does not hold the PIN, or holds the PUK:\n%s", m.Text)
	}
	w.noSecretInTables(puk)
	w.pinGoneAndPUKKept()
	for _, table := range []string{"notification_outbox", "notifications"} {
		var n int
		if err := w.store.DB.Get(&n, `SELECT count(*) FROM `+table); err != nil || n != 0 {
			t.Errorf("%s has %d rows (%v), want none: the PIN e-mail bypasses it", table, n, err)
		}
	}
	if strings.Contains(w.log.String(), plantedPIN) {
		t.Errorf("the log holds the PIN:\n%s", w.log.String())
	}
	if again, err := w.deliver("email"); err != nil || again != where || len(server.Messages()) != 1 {
		t.Errorf("retry: %q, %v, %d messages; want the recorded delivery and no second e-mail", again, err, len(server.Messages()))
	}
}

// What cannot work is refused for good, naming what to fix, and leaves the
// sealed PIN where it is.
func TestPINRefusals(t *testing.T) {
	ctx := context.Background()
	w := newPINWorld(t)
	keys := w.acts.Secrets
	w.acts.Secrets = nil
	err := activities.EnsureSecrets(w.acts, ctx, w.cardID, 0)
	if errType(err) != activities.ErrSecretsUnavailable || !nonRetryable(err) || !strings.Contains(err.Error(), "CARDS_SECRET_KEYS is not set") {
		t.Errorf("no keys: %v", err)
	}
	w.acts.Secrets = keys
	if err := activities.EnsureSecrets(w.acts, ctx, w.cardID, 5); errType(err) != activities.ErrSecretsUnavailable || !nonRetryable(err) {
		t.Errorf("a 5-digit PIN: %v", err)
	}
	if _, err := w.deliver("letter"); errType(err) != activities.ErrSecretsUnavailable || !nonRetryable(err) || !strings.Contains(err.Error(), "no sealed PIN") {
		t.Errorf("delivery before production: %v", err)
	}
	w.produce()
	if _, err := w.deliver("post"); errType(err) != cards.ErrInvalidInput || !nonRetryable(err) {
		t.Errorf("method post: %v", err)
	}
	if _, err := w.deliver("email"); errType(err) != activities.ErrSecretsUnavailable || !nonRetryable(err) || !strings.Contains(err.Error(), "CARDS_SMTP_URL") {
		t.Errorf("email without e-mail: %v", err)
	}
	w.acts.Secrets = nil
	if _, err := w.deliver("letter"); errType(err) != activities.ErrSecretsUnavailable || !strings.Contains(err.Error(), "CARDS_SECRET_KEYS") {
		t.Errorf("letter without keys: %v", err)
	}
	w.acts.Secrets = keys
	if _, found, _ := w.store.SealedSecret(ctx, w.cardID, store.SecretPIN); !found {
		t.Fatal("a refused delivery deleted the PIN")
	}
	if entries, _ := os.ReadDir(w.acts.PINLetterDir); len(entries) != 0 {
		t.Errorf("a refused delivery left %d entries in the letter folder", len(entries))
	}

	// pinDelivery none: nothing delivered, the PIN deleted all the same.
	if where, err := w.deliver("none"); err != nil || where != "none" {
		t.Fatalf("none: %q, %v", where, err)
	}
	w.pinGoneAndPUKKept()
	if _, err := os.Stat(w.acts.PINLetterDir); !os.IsNotExist(err) {
		t.Errorf("pinDelivery none wrote in the letter folder (%v)", err)
	}
	// Produced again (a repeated production): no second PIN.
	if err := activities.EnsureSecrets(w.acts, ctx, w.cardID, 0); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := w.store.SealedSecret(ctx, w.cardID, store.SecretPIN); found {
		t.Error("a card whose PIN was delivered got a second one")
	}
}
