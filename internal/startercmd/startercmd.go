// Package startercmd is the starter's command line: operators request and
// cancel cards, approvers approve and reject, anyone reads status and lists.
// Every command prints a readable answer, or with --json one JSON object, and
// exits 0 (done), 2 (bad usage), 3 (refused by a business rule) or 1 (anything
// else, with a message that names what failed).
package startercmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/user"
	"time"

	"github.com/alecthomas/kong"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
)

// Exit codes of the contract.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = cliparse.ExitUsage
	ExitRefused = 3
)

// Globals are accepted by every command.
type Globals struct {
	JSON bool `name:"json" help:"Print one JSON object on stdout."`
	cliparse.Temporal
	// The database serves list, users upsert, and the e-mails status lists.
	cliparse.Database
	Timeout      time.Duration `name:"timeout" env:"CARDS_TIMEOUT" default:"60s" help:"How long to wait for an answer before giving up."`
	TemporalWait time.Duration `name:"temporal-wait" env:"CARDS_TEMPORAL_WAIT" default:"1m" help:"How long to keep retrying while Temporal is unreachable (a server restart) before exiting 1; progress is printed meanwhile."`
	cliparse.Codec
}

// Command is the starter's command line.
type Command struct {
	Globals

	Request    RequestCmd    `cmd:"" help:"Request a card for a user; returns once the card is persisted (requested or approved) or refused."`
	Approve    ApproveCmd    `cmd:"" help:"Approve a requested card."`
	Reject     RejectCmd     `cmd:"" help:"Reject a requested card (a reason is required)."`
	Postpone   PostponeCmd   `cmd:"" help:"Postpone your decision: the approval stays in your Inbox, marked, with your comment."`
	Approvals  ApprovalsCmd  `cmd:"" help:"List the open approvals you may decide (what the console's Inbox shows)."`
	Cancel     CancelCmd     `cmd:"" help:"Withdraw a request you made, before it is decided."`
	Status     StatusCmd     `cmd:"" help:"Show a card's status document."`
	Issue      IssueCmd      `cmd:"" help:"Issue card: produce an approved card at a print station (number, PIN and PUK, certificates); also issue repeat and issue cancel."`
	Activate   ActivateCmd   `cmd:"" help:"Activate an issued card: its certificates become good."`
	Deactivate DeactivateCmd `cmd:"" help:"Deactivate an active card: its certificates go on hold (optional approval)."`
	Reactivate ReactivateCmd `cmd:"" help:"Reactivate an inactive card: its certificates are released (optional approval)."`
	Lock       LockCmd       `cmd:"" help:"Lock an active or inactive card for good: its certificates are revoked (a comment is required)."`
	Expiry     ExpiryCmd     `cmd:"" help:"Expiry: run one sweep now (expiry sweep)."`
	List       ListCmd       `cmd:"" help:"List cards from PostgreSQL, newest first."`
	Users      UsersCmd      `cmd:"" help:"Manage the user directory."`
	Repair     RepairCmd     `cmd:"" help:"Abort requested cards whose workflow no longer runs (actor system), so their users can request again."`
	Order      OrderCmd      `cmd:"" help:"Batch orders: order request|issue|status|repeat|complete|list."`
}

// env is what a command runs with.
type env struct {
	ctx    context.Context
	g      *Globals
	out    *output
	client client.Client
	// address and namespace are the Temporal address and namespace in
	// use, for messages.
	address, namespace string
	// updateID is the one id of the update this command sends, however
	// often it is retried, so that Temporal applies it once.
	updateID string
	// codecKeys is the CARDS_CODEC_KEYS setting resolved: the key file in
	// use, or codec.Plaintext; unresolved when there is no key file, so
	// that connecting refuses.
	codecKeys string
	// failures is the failure converter Temporal was dialled with, which
	// reads the failure messages the worker encodes (waiting lines).
	failures converter.FailureConverter
}

// Run parses args, runs the command and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cmd Command
	// A mistyped flag is an error like any other: with --json, stdout holds
	// its error document too.
	reportUsage := func(message string) {
		if jsonRequested(args) {
			(&output{json: true, stdout: stdout, stderr: io.Discard}).fail(&usageError{message})
		}
	}
	kctx, code, done := cliparse.ParseReporting("starter", &cmd, args, stdout, stderr, reportUsage,
		kong.Description("cardflow starter: request, approve, reject, cancel and inspect card requests."),
		kong.Vars{"defaultOperator": currentUser()},
	)
	if done {
		return code
	}
	e := &env{ctx: ctx, g: &cmd.Globals, out: &output{json: cmd.JSON, stdout: stdout, stderr: stderr}, updateID: uuid.NewString()}
	defer e.close()
	if err := cmd.Globals.check(); err != nil {
		return e.out.fail(err)
	}
	if code, stop := e.checkKeys(cmd.CodecKeys); stop {
		return code
	}
	if err := kctx.Run(e); err != nil {
		return e.out.fail(sealedAnswer(kctx.Command(), err))
	}
	return ExitOK
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}

// temporal connects on first use, so that commands that need only PostgreSQL
// work without a Temporal server.
func (e *env) temporal() (client.Client, error) {
	if e.client != nil {
		return e.client, nil
	}
	opts, err := temporalconn.Options(temporalconn.Settings{Address: e.g.TemporalAddress, Namespace: e.g.TemporalNamespace, Logger: logging.Discard, CodecKeys: e.codecKeys})
	if err != nil {
		return nil, err
	}
	e.address, e.namespace, e.failures = opts.HostPort, opts.Namespace, opts.FailureConverter
	c, err := e.dialPatiently(opts)
	if err != nil {
		return nil, err
	}
	e.client = c
	return c, nil
}

// dialPatiently dials Temporal, and while it is unreachable tries again
// every second for --temporal-wait, saying so on stderr; a setting no wait
// can fix (a namespace that does not exist) ends it at once.
func (e *env) dialPatiently(opts client.Options) (client.Client, error) {
	deadline := time.Now().Add(e.g.TemporalWait)
	var lastSaid time.Time
	for {
		// A refused TCP connection is known at once; only an address that
		// accepts connections is worth the SDK's dial with its checks.
		err := temporalconn.Reachable(opts.HostPort, 2*time.Second)
		if err == nil {
			var c client.Client
			if c, err = temporalconn.Dial(e.ctx, opts, 5*time.Second); err == nil {
				return c, nil
			}
			// A namespace that does not exist will not appear by waiting.
			var setting *temporalconn.SettingError
			if errors.As(err, &setting) {
				return nil, err
			}
		}
		left := time.Until(deadline)
		if left <= 0 || e.ctx.Err() != nil {
			return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %w; gave up after %s (--temporal-wait, CARDS_TEMPORAL_WAIT; check TEMPORAL_ADDRESS and that the server is running)",
				opts.HostPort, opts.Namespace, err, e.g.TemporalWait)
		}
		if time.Since(lastSaid) >= 5*time.Second {
			fmt.Fprintf(e.out.stderr, "starter: waiting: Temporal at %s is unreachable (%s); retrying, giving up in %s\n",
				opts.HostPort, cardops.UnreachableCause(opts.HostPort, err), left.Round(time.Second))
			lastSaid = time.Now()
		}
		select {
		case <-e.ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// ops returns the card operations over the Temporal client, printing their
// progress lines on stderr.
func (e *env) ops() (*cardops.Client, error) {
	cl, err := e.temporal()
	if err != nil {
		return nil, temporalConnectionError(err)
	}
	return &cardops.Client{Temporal: cl, TaskQueue: e.g.TaskQueue, Progress: func(line string) {
		fmt.Fprintln(e.out.stderr, "starter:", line)
	}, Address: e.address, Namespace: e.namespace, TemporalWait: e.g.TemporalWait, UpdateID: e.updateID, Failures: e.failures}, nil
}

func (e *env) store() (*store.Store, error) {
	return store.Open(e.ctx, e.g.DatabaseURL, store.PoolOptions{MaxOpen: 2})
}

func (e *env) close() {
	if e.client != nil {
		e.client.Close()
	}
}
