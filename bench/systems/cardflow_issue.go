package systems

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/issuecard"
)

// productionPolicy is cardflowPolicy with Issue card on: visitor cards
// (no approval) are produced at the bench's station with the defaults
// (two certificates, a PIN letter, a year's validity); employee cards,
// inserted active by the deactivate-approval scenario, need one approval
// to be deactivated.
func productionPolicy(station string) string {
	return fmt.Sprintf(`
useCases: {requestCard: true, issueCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 1, timeout: 168h}
  visitor:
    approval: {required: false}
    validity: 8760h
    production: {station: %s}
  %s:
    approval: {required: false}
    deactivation: {approval: {required: true, approvers: 1}}
`, station, DeactivationCardType)
}

// startProduction gives cardflow what Issue card needs, as a deployment
// has it: a print station of its own (internal/stationcmd, the real one:
// it renders the card, has the CA certify two keys and writes the files
// into a temporary folder), a fresh PIN and PUK key file and a folder for
// the PIN letters. It returns the station's id and the worker's settings.
func startProduction(e *engine.Env) (string, workerapp.Production, error) {
	dir, err := os.MkdirTemp("", "cardflow-bench-production-")
	if err != nil {
		return "", workerapp.Production{}, err
	}
	e.Defer(func() { _ = os.RemoveAll(dir) })
	keys, err := writeSecretKeys(dir)
	if err != nil {
		return "", workerapp.Production{}, err
	}
	id := e.Queue("bench-station-")
	ctx, stop := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- stationcmd.Serve(ctx, stationcmd.Config{ID: id, Output: filepath.Join(dir, "station"), Issuer: e.CA,
			Client: e.Client, Logger: zap.NewNop(), OnReady: func() { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		stop()
		return "", workerapp.Production{}, fmt.Errorf("print station: %w", err)
	case <-time.After(30 * time.Second):
		stop()
		return "", workerapp.Production{}, fmt.Errorf("print station %s did not start within 30s", id)
	}
	e.Defer(func() { stop(); <-done })
	return id, workerapp.Production{SecretKeys: keys, PINLetterDir: filepath.Join(dir, "pin-letters"), Authority: e.CA}, nil
}

// writeSecretKeys writes a fresh CARDS_SECRET_KEYS file into dir.
func writeSecretKeys(dir string) (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "secret-keys")
	return path, os.WriteFile(path, []byte("bench-secrets "+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600)
}

// Issue produces the card at the bench's station as `starter issue` does
// (cardops.Operate on the card's lane) and returns once it is issued.
func (r *runningCardflow) Issue(ctx context.Context, card engine.Card) error {
	if r.station == "" {
		return fmt.Errorf("Issue card is off in this run: no scenario produces cards")
	}
	s, err := r.ops.Operate(ctx, cardops.Operation{CardID: card.ID, Type: issuecard.WorkflowType,
		Input:   issuecard.Input{CardID: card.ID, Operator: engine.Operator, Station: r.station},
		Summary: fmt.Sprintf("Issue card %s, by %s", card.ID, engine.Operator)})
	return operationEnded(s.State, s.Reason, err, cards.StateIssued)
}

// Activate activates the issued card as `starter activate` does.
func (r *runningCardflow) Activate(ctx context.Context, card engine.Card) error {
	s, err := r.ops.Operate(ctx, cardops.Operation{CardID: card.ID, Type: activatecard.WorkflowType,
		Input:   activatecard.Input{CardID: card.ID, Operator: engine.Operator},
		Summary: fmt.Sprintf("Activate card %s, by %s", card.ID, engine.Operator)})
	return operationEnded(s.State, s.Reason, err, cards.StateActive)
}

// operationEnded is an operation's outcome as an error: a production that
// failed ends without one but leaves the card failed, which the bench
// counts as a failed card.
func operationEnded(state cards.State, reason string, err error, want cards.State) error {
	switch {
	case err != nil:
		return err
	case state != want:
		return fmt.Errorf("card %s, want %s: %s", state, want, reason)
	}
	return nil
}
