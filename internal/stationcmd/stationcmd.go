// Package stationcmd is the print station's command line: `station` (run:
// poll print-station-<id> and produce one card at a time) and `station
// fail-next` (make the next job fail, for demos and tests). Flags fall back
// to the environment variables of the contract.
package stationcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/temporalconn"
)

// DefaultCAURL is the local CFSSL `serve` of `make up` and scripts/ca.sh.
const DefaultCAURL = "http://127.0.0.1:8888"

// DefaultOutputRoot is where a station's folder is when
// CARDS_STATION_OUTPUT is not set: <root>/<station id>.
const DefaultOutputRoot = ".run/stations"

// CASettings is what the station knows of its CA, handed to the
// IssuerFactory: a struct, so that an adapter needing more (TLS, an auth
// key) adds a field rather than changing every caller.
type CASettings struct {
	// URL is CARDS_CA_URL, the CA's API.
	URL string
}

// IssuerFactory makes the station's CA client. The command takes it from
// its main rather than importing an adapter, so that the CA behind the
// port (CFSSL, EJBCA, a test CA) is chosen where the binary is built.
type IssuerFactory func(ctx context.Context, s CASettings) (ca.Issuer, error)

// ErrNoIssuer is Run's refusal when its main wired no CA adapter.
var ErrNoIssuer = errors.New("this build of the station has no CA adapter: its main must pass one to stationcmd.Run")

// Command is the station's command line.
type Command struct {
	Run      RunCmd      `cmd:"" default:"withargs" help:"Run the print station until SIGINT or SIGTERM: poll print-station-<id>, one card at a time (the default command)."`
	FailNext FailNextCmd `cmd:"" name:"fail-next" help:"Make the station's next job fail with a printer error (RibbonOut, CardJam, HopperEmpty, EncodeFailed, PrinterOffline, ...), for demos and tests: writes <output>/fail-next, which that job deletes."`
}

// Where names the station and its output folder.
type Where struct {
	StationID string `name:"station-id" env:"CARDS_STATION_ID" default:"${defaultStationID}" help:"The station's id: it polls the task queue print-station-<id>, the one operators choose with --station."`
	Output    string `name:"output" env:"CARDS_STATION_OUTPUT" help:"Folder the station prints into, one folder per card id (default ${defaultOutputRoot}/<id>, <id> the station id)."`
}

// RunCmd runs the station.
type RunCmd struct {
	Where
	cliparse.TemporalServer
	cliparse.Codec
	cliparse.Logging
	CAURL string `name:"ca-url" env:"CARDS_CA_URL" default:"${defaultCAURL}" help:"The CA that certifies the keys the station generates (only CSRs leave the station). The CFSSL adapter also reads CARDS_CA_DIR (ca.pem), CARDS_CA_OCSP_URL and CARDS_CA_DB_URL."`
}

// FailNextCmd writes the fail-next file.
type FailNextCmd struct {
	Where
	Reason  string   `arg:"" name:"reason" help:"The failure type the next job ends with: ${failureTypes}."`
	Message []string `arg:"" optional:"" name:"message" help:"Words the failure says (default: simulated by fail-next)."`
}

type runContext struct {
	ctx       context.Context
	stdout    io.Writer
	newIssuer IssuerFactory
}

// Run parses args and runs the command with newIssuer as its CA client
// maker; it returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, newIssuer IssuerFactory) int {
	var cmd Command
	kctx, code, done := cliparse.Parse("station", &cmd, args, stdout, stderr,
		kong.Description("cardflow print station: prints and encodes the cards sent to print-station-<id>, into its output folder."),
		kong.Vars{
			"defaultStationID":  station.DefaultID,
			"defaultOutputRoot": DefaultOutputRoot,
			"defaultCAURL":      DefaultCAURL,
			"failureTypes":      strings.Join(station.FailureTypes, ", "),
		},
	)
	if done {
		return code
	}
	if err := kctx.Run(&runContext{ctx: ctx, stdout: stdout, newIssuer: newIssuer}); err != nil {
		fmt.Fprintln(stderr, "station:", err)
		return 1
	}
	return 0
}

// folder returns the station's output folder, absolute (it travels in each
// Result, read where the station's working directory is unknown).
func (w Where) folder() (string, error) {
	if err := station.CheckID(w.StationID); err != nil {
		return "", fmt.Errorf("--station-id (CARDS_STATION_ID): %w", err)
	}
	out := w.Output
	if out == "" {
		out = filepath.Join(DefaultOutputRoot, w.StationID)
	}
	return filepath.Abs(out)
}

// Run runs the station until rc.ctx ends.
func (c *RunCmd) Run(rc *runContext) error {
	output, err := c.folder()
	if err != nil {
		return err
	}
	if c.TemporalAddress != "" {
		if err := temporalconn.CheckAddress(c.TemporalAddress); err != nil {
			return err
		}
	}
	if rc.newIssuer == nil {
		return ErrNoIssuer
	}
	log, err := c.Logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	issuer, err := rc.newIssuer(rc.ctx, CASettings{URL: c.CAURL})
	if err != nil {
		return fmt.Errorf("CA at %s (CARDS_CA_URL): %w", c.CAURL, err)
	}
	if closer, ok := issuer.(io.Closer); ok {
		defer func() { _ = closer.Close() }()
	}
	return Serve(rc.ctx, Config{
		ID: c.StationID, Output: output, Issuer: issuer, Logger: log,
		Temporal: temporalconn.Settings{Address: c.TemporalAddress, Namespace: c.TemporalNamespace, CodecKeys: c.CodecKeys},
	})
}

// Run writes the fail-next file.
func (c *FailNextCmd) Run(rc *runContext) error {
	output, err := c.folder()
	if err != nil {
		return err
	}
	if err := station.FailNext(output, c.Reason, strings.Join(c.Message, " ")); err != nil {
		return err
	}
	fmt.Fprintf(rc.stdout, "The next job of station %s fails with %s (%s).\n", c.StationID, c.Reason, filepath.Join(output, station.FailNextName))
	return nil
}
