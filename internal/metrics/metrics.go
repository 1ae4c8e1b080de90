// Package metrics exposes the worker's Prometheus metrics: the Temporal SDK's
// worker metrics (through tally) and cardflow's own, in one registry served
// at /metrics beside the /healthz and /readyz probes.
package metrics

import (
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/outage"
)

// Metrics holds the registry and cardflow's own instruments.
type Metrics struct {
	Registry *prometheus.Registry

	cards            *prometheus.CounterVec
	decisionSeconds  *prometheus.HistogramVec
	activitySeconds  *prometheus.HistogramVec
	activityFailures *prometheus.CounterVec
	activityRetries  *prometheus.CounterVec
	dependencyUp     *prometheus.GaugeVec
	permissionDenied *prometheus.GaugeVec

	// observeFailure, when set, sees every failed attempt's error (the
	// outage tracker).
	observeFailure func(error)
	notifications  *prometheus.CounterVec
	outboxEvents   *prometheus.CounterVec
	outboxDelay    *prometheus.HistogramVec

	sdkScope  tally.Scope
	sdkCloser io.Closer
}

// New creates a registry with cardflow's metrics and Go runtime metrics.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		cards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cardflow_cards_total",
			Help: "Cards that reached a state: requested or approved when persisted, approved, rejected or aborted when decided.",
		}, []string{"state"}),
		decisionSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cardflow_decision_seconds",
			Help:    "Time from a card's request to its final decision, by final state.",
			Buckets: []float64{1, 10, 60, 600, 3600, 4 * 3600, 24 * 3600, 72 * 3600, 168 * 3600, 336 * 3600},
		}, []string{"state"}),
		activitySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cardflow_activity_seconds",
			Help:    "Latency of cardflow's activities (local and regular), by activity and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"activity", "outcome"}),
		activityFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cardflow_activity_failures_total",
			Help: "Failed activity attempts, by activity and error type (business refusals included).",
		}, []string{"activity", "type"}),
		activityRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cardflow_activity_retries_total",
			Help: "Failed activity attempts that are retried (infrastructure, not business refusals), by activity and cause: database_unreachable, permission_denied, database_error, timeout, other.",
		}, []string{"activity", "cause"}),
		dependencyUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cardflow_dependency_up",
			Help: "1 while the worker reaches the dependency, 0 during an outage it has seen.",
		}, []string{"dependency"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cardflow_notifications_total",
			Help: "E-mails by event (requested, reminder, decided) and outcome: sent, retried (a temporary failure; the activity or the outbox dispatcher retries), failed (permanent, not retried), skipped (no address, or in doubt after an interrupted send).",
		}, []string{"event", "outcome"}),
		outboxEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cardflow_outbox_events_total",
			Help: "Claims of queued notification events by the outbox dispatcher, by event and outcome: handled (left the outbox), retried (a temporary failure; due again after the backoff), given_up (still failing a day after it was queued), invalid (can never be sent).",
		}, []string{"event", "outcome"}),
		permissionDenied: newPermissionDenied(),
		outboxDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cardflow_outbox_delay_seconds",
			Help:    "Time from queuing a notification event (with its card write) to having handled it, by event.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600},
		}, []string{"event"}),
	}
	m.dependencyUp.WithLabelValues("postgresql").Set(1)
	reg.MustRegister(m.cards, m.decisionSeconds, m.activitySeconds, m.activityFailures, m.notifications, m.outboxEvents, m.outboxDelay, m.activityRetries, m.dependencyUp, m.permissionDenied,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// TemporalHandler returns the SDK metrics handler that reports into the same
// registry; pass it as client.Options.MetricsHandler.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	if m.sdkScope == nil {
		reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: m.Registry})
		m.sdkScope, m.sdkCloser = tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		}, time.Second)
	}
	return sdktally.NewMetricsHandler(m.sdkScope)
}

// Close flushes the SDK scope.
func (m *Metrics) Close() error {
	if m.sdkCloser != nil {
		return m.sdkCloser.Close()
	}
	return nil
}

// StoreCounts reports a store's committed write transactions and reads.
type StoreCounts func() (writes, reads int64)

// ObserveStore exports the store's transaction counters, which show that each
// state change costs one PostgreSQL transaction (and an approval one more
// each for its opening, every vote and its close).
func (m *Metrics) ObserveStore(counts StoreCounts) {
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "cardflow_db_write_transactions_total",
			Help: "Committed PostgreSQL write transactions (one per card state change; an approval's row opened, each vote and its close one each).",
		}, func() float64 { w, _ := counts(); return float64(w) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "cardflow_db_reads_total",
			Help: "Single-statement PostgreSQL reads (user checks, status reads).",
		}, func() float64 { _, r := counts(); return float64(r) }),
	)
}

// CardPersisted counts a card written for the first time in state.
func (m *Metrics) CardPersisted(state cards.State) {
	m.cards.WithLabelValues(string(state)).Inc()
}

// CardDecided counts a card that reached a final state, and how long it took.
func (m *Metrics) CardDecided(state cards.State, sinceRequest time.Duration) {
	m.cards.WithLabelValues(string(state)).Inc()
	m.decisionSeconds.WithLabelValues(string(state)).Observe(sinceRequest.Seconds())
}

// ActivityDone records one activity attempt; errType is empty on success.
func (m *Metrics) ActivityDone(activity string, took time.Duration, errType string) {
	outcome := "ok"
	if errType != "" {
		outcome = "failed"
		m.activityFailures.WithLabelValues(activity, errType).Inc()
	}
	m.activitySeconds.WithLabelValues(activity, outcome).Observe(took.Seconds())
}

// ActivityRetried counts a failed attempt that will be retried, by cause.
func (m *Metrics) ActivityRetried(activity string, cause outage.Cause) {
	m.activityRetries.WithLabelValues(activity, string(cause)).Inc()
}

// DependencyDown sets cardflow_dependency_up for dependency (for example
// "postgresql"): an alert can tell an outage from a slow worker.
func (m *Metrics) DependencyDown(dependency string, down bool) {
	v := 1.0
	if down {
		v = 0
	}
	m.dependencyUp.WithLabelValues(dependency).Set(v)
}

// ObserveFailures hands every failed activity attempt's error to observe,
// which is how the outage tracker learns of an outage from the activities
// that meet it.
func (m *Metrics) ObserveFailures(observe func(error)) { m.observeFailure = observe }

// Notification counts what one attempt did for one e-mail recipient; an
// e-mail found already handled by an earlier attempt is not counted again.
func (m *Metrics) Notification(event, outcome string) {
	m.notifications.WithLabelValues(event, outcome).Inc()
}

// OutboxEvent counts how one claim of a queued notification event ended
// and, for a handled one, how long it waited since it was queued: the
// e-mail latency the outbox adds.
func (m *Metrics) OutboxEvent(event, outcome string, queued time.Duration) {
	m.outboxEvents.WithLabelValues(event, outcome).Inc()
	if outcome == "handled" { // notify.OutboxHandled
		m.outboxDelay.WithLabelValues(event).Observe(queued.Seconds())
	}
}

// ObserveCodec exports the count of payloads the worker read unencrypted
// (codec.Codec.PlaintextPayloads): with a key file in use, anything above
// zero is a client that sent data to Temporal in clear.
func (m *Metrics) ObserveCodec(plaintextPayloads func() int64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cardflow_codec_plaintext_payloads_total",
		Help: "Payloads the worker read without cardflow's encryption (for example a `temporal workflow signal` sent without --codec-endpoint); replays read them again. With CARDS_CODEC_KEYS=none every payload counts.",
	}, func() float64 { return float64(plaintextPayloads()) }))
}
