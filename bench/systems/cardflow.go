package systems

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/lane"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// Cardflow is the subject: RequestCard on the real worker
// (internal/workerapp, in this process) with everything on: directory
// checks, payload encryption and e-mail as the run's setup has them.
type Cardflow struct{}

// cardflowPolicy has one card type per kind of request: standard needs an
// approval, visitor does not.
const cardflowPolicy = `
useCases: {requestCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 1, timeout: 168h}
  visitor:
    approval: {required: false}
`

// Name is the system's name in the tables.
func (Cardflow) Name() string { return CardflowName }

// Describe says what cardflow runs with, since "everything on" is what the
// headline ratio is about.
func (Cardflow) Describe(s engine.Setup) string {
	enc := "off (payloads in clear)"
	if s.Encryption {
		how := "key file"
		if s.TemporaryKey {
			how = "temporary key file"
		}
		enc = fmt.Sprintf("on (AES-256-GCM, key %s, %s)", s.KeyID, how)
	}
	mail := "off"
	if s.Mail {
		mail = "on (SMTP to Mailpit at " + s.SMTP + ")"
	}
	cache := "SDK default"
	if s.StickyCache > 0 {
		cache = fmt.Sprint(s.StickyCache)
	}
	return fmt.Sprintf("directory checks %s; encryption %s; e-mail %s; %s; sticky cache %s",
		engine.OnOff(s.DirectoryChecks), enc, mail, s.StartMode, cache)
}

// Start runs the real worker in this process and waits until it polls.
func (Cardflow) Start(_ context.Context, e *engine.Env) (engine.Running, error) {
	r := &runningCardflow{client: e.Client, queue: e.Queue("bench-cards-"), startMode: e.Config.StartMode}
	policyText, production := cardflowPolicy, workerapp.Production{}
	if e.CA != nil {
		var err error
		if r.station, production, err = startProduction(e); err != nil {
			return nil, err
		}
		policyText = productionPolicy(r.station)
	}
	policyPath := filepath.Join(os.TempDir(), fmt.Sprintf("cardflow-bench-policy-%d.yaml", os.Getpid()))
	if err := os.WriteFile(policyPath, []byte(policyText), 0o600); err != nil {
		return nil, err
	}
	e.Defer(func() { _ = os.Remove(policyPath) })
	mail := notify.Config{}
	if e.Mail != nil {
		mail = notify.Config{SMTPURL: e.Mail.SMTPURL(), From: "cardflow bench <cards@example.com>", ConsoleURL: "http://127.0.0.1:8080"}
	}
	cfg := e.Config
	workerCtx, stopWorker := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- workerapp.Run(workerCtx, workerapp.Config{
			DatabaseURL: e.DatabaseURL, TaskQueue: r.queue, PolicyPath: policyPath,
			Temporal: temporalconn.Settings{Address: e.TemporalAddress, Namespace: "default", Compression: cfg.Compression,
				EnvLookup: engine.NoEnv{}, CodecKeys: e.KeyFile},
			Logger: zap.NewNop(), Pool: store.PoolOptions{MaxOpen: cfg.DBPool}, Worker: cfg.WorkerOptions(),
			MetricsAddress: "127.0.0.1:0", Mail: mail, Production: production,
			// A Schedule of the run's own: on a long-lived server
			// (-temporal-address) the real card-expiry-sweep is left
			// alone, never pointed at the bench's task queue.
			Expiry: workerapp.ExpirySchedule{ID: expiryScheduleID(r.queue)},
			OnReady: func(rd workerapp.Ready) {
				r.metricsURL = "http://" + rd.MetricsAddress + "/metrics"
				close(ready)
			},
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		stopWorker()
		return nil, fmt.Errorf("cardflow worker: %w", err)
	}
	e.Defer(func() { stopWorker(); <-done })
	e.Defer(func() { deleteSchedule(e.Client, expiryScheduleID(r.queue)) })
	r.ops = &cardops.Client{Temporal: r.client, TaskQueue: r.queue, Address: e.TemporalAddress}
	return r, nil
}

// expiryScheduleID is the run's expiry Schedule, named after its queue.
func expiryScheduleID(queue string) string { return "card-expiry-sweep-" + queue }

// deleteSchedule removes the run's expiry Schedule when the run ends, so
// that a long-lived server keeps no Schedule of a queue nobody polls.
func deleteSchedule(c client.Client, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
}

// runningCardflow is cardflow's worker running, driven as the starter and
// the console drive it.
type runningCardflow struct {
	client     client.Client
	queue      string
	startMode  string
	metricsURL string
	// station is the print station's id when Issue card is on; ops runs
	// the card's operations as the starter does.
	station string
	ops     *cardops.Client
}

// Client, TaskQueue and WorkflowID are how the engine finds its requestcard.
func (r *runningCardflow) Client() client.Client { return r.client }
func (r *runningCardflow) TaskQueue() string     { return r.queue }

func (r *runningCardflow) WorkflowID(card engine.Card) string     { return requestcard.WorkflowID(card.ID) }
func (r *runningCardflow) LaneWorkflowID(card engine.Card) string { return lane.WorkflowID(card.ID) }

// Request sends the card's request as the starter and the console send it
// (internal/cardops.Request): search attributes, summary and details
// included, since the server stores them with every card.
func (r *runningCardflow) Request(ctx context.Context, card engine.Card, req engine.CardRequest) error {
	cardType := "visitor"
	if req.Approval {
		cardType = "standard"
	}
	in := requestcard.RequestCardInput{CardID: card.ID, UserID: card.UserID, CardType: cardType, RequestedBy: engine.Operator}
	opts := client.StartWorkflowOptions{
		ID: r.WorkflowID(card), TaskQueue: r.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    requestcard.StartSearchAttributes(in),
		StaticSummary:            fmt.Sprintf("Card for **%s** (%s), requested by %s", in.UserID, cardType, in.RequestedBy),
		StaticDetails:            fmt.Sprintf("User: %s\n\nCard type: %s\n\nRequested by: %s\n\nCard id: %s", in.UserID, cardType, in.RequestedBy, in.CardID),
	}
	if r.startMode == "start-then-query" {
		return startThenQuery(ctx, r.client, opts, in)
	}
	return updateWithStart(ctx, r.client, opts, requestcard.WorkflowType, in, requestcard.PersistedUpdate)
}

// Approve sends the approver's decision and returns once the card is
// approved.
func (r *runningCardflow) Approve(ctx context.Context, card engine.Card) error {
	return update(ctx, r.client, r.WorkflowID(card), cards.Approve, cards.DecisionInput{Actor: engine.Approver, Comment: "ok"})
}

// startThenQuery is the alternative to update-with-start: start, then poll
// the status query until the card is persisted.
func startThenQuery(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, in requestcard.RequestCardInput) error {
	run, err := c.ExecuteWorkflow(ctx, opts, requestcard.WorkflowType, in)
	if err != nil {
		return err
	}
	for {
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), requestcard.StatusQuery)
		if err != nil {
			return err
		}
		var s cards.Status
		if err := v.Get(&s); err != nil {
			return err
		}
		if s.State != cards.StatePending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
