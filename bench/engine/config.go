// Package engine is the bench's machinery, the same for every system and
// scenario: it sets up what a run talks to (Temporal, PostgreSQL, Mailpit,
// the systems' workers), drives batches of cards at a concurrency, measures
// their latency, throughput, CPU and PostgreSQL work, verifies the outcome
// and reports it. What is driven lives elsewhere: the systems (bench/systems)
// and the scenarios (bench/scenarios), each one file, registered in one list.
package engine

import (
	"io"

	"go.temporal.io/sdk/worker"
)

// Config is one benchmark run.
type Config struct {
	N      int
	C      int
	Rounds int
	// Warmup is how many cards of each system and scenario run before the
	// measured rounds, unmeasured (but verified), so that no system pays
	// for the first connections and caches.
	Warmup    int
	Scenarios []string
	// StartMode is how cardflow requests are sent: "update-with-start" (what
	// the starter does) or "start-then-query" (start, then poll the status
	// query until the card is persisted).
	StartMode string
	// BaselineLocalReads makes the baseline's three reads local activities,
	// as in RequestCard.
	BaselineLocalReads bool
	// BaselineMetrics gives the baseline worker cardflow's metrics setup
	// (SDK metrics through tally, activity interceptor).
	BaselineMetrics bool

	TemporalAddress string
	TemporalCLI     string
	// ServerPID is the process of a Temporal server the bench did not start
	// (-temporal-address), whose CPU the report accounts; 0 accounts every
	// process named temporal-server (scripts/temporal-server.sh's).
	ServerPID   int
	DatabaseURL string
	PostgresURL string

	// Compression of both workers' and the client's requests: gzip or none.
	Compression string
	// Encrypt encrypts every payload of the cardflow and baseline workers
	// and their client, as a deployment with private payloads does; the
	// minimal baseline never has a codec.
	Encrypt bool
	// CodecKeys is the key file to encrypt with; empty: the bench writes a
	// temporary one.
	CodecKeys string
	// Mail has the cardflow worker send its e-mails over SMTP to a real
	// Mailpit, started by the bench from the Mailpit binary, so that an
	// approval card pays for its e-mails as in production.
	Mail               bool
	Mailpit            string
	DBPool             int
	WorkflowPollers    int
	ActivityPollers    int
	WorkflowTaskSlots  int
	ActivitySlots      int
	LocalActivitySlots int

	// Production is set by Run when a scenario produces cards
	// (ProductionScenario): the run starts a CFSSL CA (CFSSL, the binary) and
	// the subject turns Issue card on with a print station.
	Production bool
	CFSSL      string

	// Waiting, when positive, runs the scale test instead: this many cards
	// waiting for approval at once, then all approved.
	Waiting int

	// ExpiryCards and ExpiryDue size the expiry scale scenario
	// (-scenarios expiry): the cards written with nothing due, then the
	// cards added due (half reminded, half expired).
	ExpiryCards int
	ExpiryDue   int
	// OrderUsers and OrderCards size the order scale scenarios
	// (-scenarios order-request, order-issue): the users of the request
	// order and the approved cards of the issue order, each also done one
	// by one.
	OrderUsers int
	OrderCards int

	// StickyCache sizes the SDK's sticky workflow cache (0: the SDK's
	// default). It is one cache for the whole process, shared by every
	// system's worker, which is why the bench sets it before any starts.
	StickyCache int

	// CPUProfile, when set, writes a pprof CPU profile of the bench process
	// (the cardflow worker runs in it) to this file.
	CPUProfile string
	// MemProfile, when set, writes a heap profile to this file in -waiting
	// mode, taken with every card waiting, after a garbage collection.
	MemProfile string

	Out      string
	Progress io.Writer `json:"-"`
}

// WorkerOptions are shared by every system's worker, so that none has
// more pollers or slots than the others.
func (cfg Config) WorkerOptions() worker.Options {
	return worker.Options{
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        cfg.ActivityPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkflowTaskSlots,
		MaxConcurrentActivityExecutionSize:      cfg.ActivitySlots,
		MaxConcurrentLocalActivityExecutionSize: cfg.LocalActivitySlots,
	}
}
