// Command starter is the operators' and approvers' command line for cardflow:
// request, approve, reject, cancel, status, list and users upsert. See
// `starter --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cardflow/cardflow/internal/startercmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := startercmd.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
