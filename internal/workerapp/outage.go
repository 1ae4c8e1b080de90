package workerapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/store"
)

// watchDatabase connects the PostgreSQL outage tracker (its Ping set):
// activities that meet an outage report it (through the metrics
// interceptor), and cardflow_dependency_up follows it. The tracker logs the
// outage once and closes it when a ping answers again.
func watchDatabase(t *outage.Tracker, p *outage.Permissions, m *metrics.Metrics) {
	t.OnChange = func(down bool) { m.DependencyDown("postgresql", down) }
	m.ObserveFailures(observeBoth(t, p))
}

// quietDuringOutage demotes the lines that would repeat, attempt after
// attempt, what the trackers have already said once: the SDK's "Activity
// error." for an infrastructure error and the workflow's "Waiting for
// infrastructure", while an outage is open, and both for a permission
// denied error while a missing privilege is reported. Business refusals
// and errors outside an outage keep their level.
func quietDuringOutage(t *outage.Tracker, p *outage.Permissions) logging.Demoter {
	return func(msg string, keyvals []any) bool {
		if msg == "Activity error." && isBusinessRefusal(keyvals) {
			// A refusal (InvalidState, AnotherActiveCard, ...) is an answer
			// to the person who asked, recorded in the history: not an
			// error of the worker's.
			return true
		}
		if down, _, _ := t.Down(); !down {
			return len(p.Denied()) > 0 && isPermissionDenied(msg, keyvals)
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

// readiness is /readyz: ready while PostgreSQL answers a ping and no
// privilege the worker needs was refused. A failed ping also opens an
// outage, so an idle worker notices one too; the answer says since when
// the database is unreachable and why, or which privileges are missing.
func readiness(st *store.Store, t *outage.Tracker, p *outage.Permissions) metrics.ReadinessCheck {
	return func(ctx context.Context) error {
		err := st.DB.PingContext(ctx)
		if err == nil {
			if denied := p.DeniedText(); denied != "" {
				return errors.New("permission denied: " + denied)
			}
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

// isPermissionDenied reports whether an SDK or workflow line is about a
// permission denied error: the SDK's lines carry the error, the workflow's
// its message.
func isPermissionDenied(msg string, keyvals []any) bool {
	switch msg {
	case "Activity error.":
		err := logging.ErrorValue(keyvals)
		return err != nil && outage.Classify(err) == outage.PermissionDenied
	case "Waiting for infrastructure":
		for i := 0; i+1 < len(keyvals); i += 2 {
			if k, ok := keyvals[i].(string); ok && k == "error" {
				text, _ := keyvals[i+1].(string)
				return outage.Classify(errors.New(text)) == outage.PermissionDenied
			}
		}
	}
	return false
}

// isBusinessRefusal reports whether an SDK line's error is a business
// refusal (cards.BusinessErrorTypes).
func isBusinessRefusal(keyvals []any) bool {
	var app *temporal.ApplicationError
	return errors.As(logging.ErrorValue(keyvals), &app) && cards.IsBusinessError(app.Type())
}
