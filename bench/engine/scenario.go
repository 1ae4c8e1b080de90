package engine

import (
	"context"
	"io"
)

// Scenario is one registered workload (bench/scenarios), as the -help lists
// it. It is either a CardScenario, measured card by card on every system
// side by side, or a ScaleScenario, a run of its own on the subject alone.
type Scenario interface {
	// Name selects it on the command line and names it in the output.
	Name() string
	// Description is its line in -help.
	Description() string
}

// CardScenario is a workload driven one card at a time: the engine hands
// each system the same number of cards, in rounds, at the run's
// concurrency, and times every step of every card.
type CardScenario interface {
	Scenario
	// Steps are the timed steps of one card, in the order Run takes them;
	// the engine adds "card", the whole of Run.
	Steps() []string
	// Setup prepares the subject's cards before anything runs (their users
	// in the directory, say).
	Setup(ctx context.Context, e *Env, cards []Card) error
	// Run drives one card through the scenario on sys, each step through
	// step, and stops at the first step that fails.
	Run(ctx context.Context, sys Running, card Card, step StepFunc)
	// StateChanges is how many state changes one card makes: the
	// PostgreSQL table checks one write transaction for each.
	StateChanges() int
	// MailsPerCard is how many e-mails one subject card sends with -mail:
	// a batch settles once they are sent, and the verification counts them.
	MailsPerCard() int
	// Verify checks the subject's cards in PostgreSQL after the run and
	// returns what is wrong.
	Verify(ctx context.Context, e *Env, cards []Card) ([]string, error)
}

// ApprovalWriter is a CardScenario whose cards wait for an approval: besides
// one write transaction per state change, the shared approval process
// writes its own rows (each vote; for an operation also the approvals row
// opened and closed, which Request card writes with its state changes),
// each one transaction. The PostgreSQL table checks the sum.
type ApprovalWriter interface {
	// ApprovalWrites is how many such writes one card makes.
	ApprovalWrites() int
}

// approvalWrites is s's approval writes per card, 0 without an approval.
func approvalWrites(s CardScenario) int {
	if w, ok := s.(ApprovalWriter); ok {
		return w.ApprovalWrites()
	}
	return 0
}

// StepFunc times one step of a card: it runs do, records its latency (or
// its error) under the step's name, and returns its error.
type StepFunc func(step string, do func() error) error

// ScaleScenario is a workload that is not a stream of cards compared across
// systems but one large run on the subject (many cards waiting at once,
// say), with a report of its own.
type ScaleScenario interface {
	Scenario
	// Run does it with n cards on the subject in e. It returns its report
	// (printed and written as JSON even when the error is not nil) and an
	// error when the run or its verification failed.
	Run(ctx context.Context, e *Env, subject Running, n int) (ScaleReport, error)
}

// NamedScale is a scale scenario run by name (-scenarios NAME, alone)
// rather than by a flag of its own such as -waiting N: Size is its n, read
// from its flags.
type NamedScale interface {
	ScaleScenario
	Size(cfg Config) int
}

// ScaleReport is a scale scenario's outcome.
type ScaleReport interface {
	// Print writes it for a reader.
	Print(w io.Writer)
	// Verified is the closing line when the verification passed.
	Verified() string
}

// CardScenarios picks the card scenarios out of a registry, in its order.
func CardScenarios(all []Scenario) []CardScenario {
	var out []CardScenario
	for _, s := range all {
		if c, ok := s.(CardScenario); ok {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the scenario of a registry named name, or nil.
func Find(all []Scenario, name string) Scenario {
	for _, s := range all {
		if s.Name() == name {
			return s
		}
	}
	return nil
}
