// Command console serves cardflow's web console, where operators request
// cards and approvers decide them after signing in with OpenID Connect.
// See `console --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cardflow/cardflow/internal/consolecmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := consolecmd.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
