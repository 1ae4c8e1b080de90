package workerapp

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/store"
)

// watchDatabase connects the PostgreSQL outage tracker (its Ping set):
// activities that meet an outage report it (through the metrics
// interceptor), and cardflow_dependency_up follows it. The tracker logs the
// outage once and closes it when a ping answers again.
func watchDatabase(t *outage.Tracker, m *metrics.Metrics) {
	t.OnChange = func(down bool) { m.DependencyDown("postgresql", down) }
	m.ObserveFailures(t.Observe)
}

// quietDuringOutage demotes the lines that would repeat, attempt after
// attempt, what the tracker has already said once: the SDK's "Activity
// error." for an infrastructure error and the workflow's "Waiting for
// infrastructure", while an outage is open. Business refusals and errors
// outside an outage keep their level.
func quietDuringOutage(t *outage.Tracker) logging.Demoter {
	return func(msg string, keyvals []any) bool {
		if down, _, _ := t.Down(); !down {
			return false
		}
		switch msg {
		case "Waiting for infrastructure":
			return true
		case "Activity error.":
			err := logging.ErrorValue(keyvals)
			return err != nil && outage.Classify(err) != outage.Refusal
		}
		return false
	}
}

// readiness is /readyz: ready while PostgreSQL answers a ping. A failed ping
// also opens an outage, so an idle worker notices one too; the answer says
// since when the database is unreachable and why.
func readiness(st *store.Store, t *outage.Tracker) metrics.ReadinessCheck {
	return func(ctx context.Context) error {
		err := st.DB.PingContext(ctx)
		if err == nil {
			return nil
		}
		t.Observe(err)
		if down, since, _ := t.Down(); down {
			return fmt.Errorf("PostgreSQL unreachable since %s (%s): %w", since.UTC().Format(time.RFC3339), time.Since(since).Round(time.Second), err)
		}
		return fmt.Errorf("PostgreSQL: %w", err)
	}
}

// databaseAddress returns the host:port of a database URL ("" when it has
// none, for example a Unix socket), so that network errors can be told
// apart by the server they come from.
func databaseAddress(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
