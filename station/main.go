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

	"github.com/cardflow/cardflow/internal/stationcmd"
)

// newIssuer is the station's CA client.
//
// TODO(integration): plug in the CFSSL adapter (internal/ca/cfssl) here
// once it is on main, for example
//
//	func(ctx context.Context, s stationcmd.CASettings) (ca.Issuer, error) { return cfssl.New(s.URL) }
//
// Until then `station` refuses to start with stationcmd.ErrNoIssuer.
var newIssuer stationcmd.IssuerFactory

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := stationcmd.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, newIssuer)
	stop()
	os.Exit(code)
}
