package testkit

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/internal/logging"
)

// SearchAttributeFlags register cardflow's search attributes on a dev
// server (`temporal server start-dev`), as deployments register them.
var SearchAttributeFlags = []string{
	"--search-attribute", "CardRequestState=Keyword",
	"--search-attribute", "CardUserId=Keyword",
	"--search-attribute", "CardType=Keyword",
}

var devServer once[string]

// DevServer returns the frontend address of the test binary's Temporal dev
// server (bin/temporal, search attributes registered), started by the
// first test that asks and stopped by Main: one per package, shared by its
// tests, which keep apart by task queue and database. With
// CARDFLOW_E2E_TEMPORAL_ADDRESS set, it is that server instead (one with
// PostgreSQL persistence, say).
func DevServer(t testing.TB) string {
	t.Helper()
	Integration(t)
	return devServer.get(t, startDevServer)
}

func startDevServer() (string, func(), error) {
	if addr := os.Getenv("CARDFLOW_E2E_TEMPORAL_ADDRESS"); addr != "" {
		return addr, nil, nil
	}
	cli, err := binPath("temporal")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		LogLevel:      "error",
		ClientOptions: &client.Options{Logger: logging.Discard},
		ExtraArgs:     SearchAttributeFlags,
	})
	if err != nil {
		return "", nil, fmt.Errorf("start the Temporal dev server: %w", err)
	}
	return server.FrontendHostPort(), func() { _ = server.Stop() }, nil
}
