// Command station runs a cardflow print station: a Temporal worker on task
// queue print-station-<id> that prints and encodes one card at a time into
// its output folder (`station`), or makes its next job fail for a demo
// (`station fail-next RibbonOut`). See `station --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/stationcmd"
)

// newIssuer is the station's CA client: the CFSSL adapter at --ca-url
// (CARDS_CA_URL), with the rest of its settings (CARDS_CA_DIR,
// CARDS_CA_OCSP_URL, CARDS_CA_DB_URL) from the environment. Another CA
// (EJBCA, Nexus) plugs in here.
func newIssuer(_ context.Context, s stationcmd.CASettings) (ca.Issuer, error) {
	cfg := cfssl.ConfigFromEnv()
	cfg.URL = s.URL
	return cfssl.New(cfg)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := stationcmd.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, newIssuer)
	stop()
	os.Exit(code)
}
