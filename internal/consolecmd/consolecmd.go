// Package consolecmd is the console's command line: flags that fall back to
// the contract's environment variables, listed with their defaults by --help.
package consolecmd

import (
	"context"
	"fmt"
	"io"

	"github.com/alecthomas/kong"

	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/console"
	"github.com/cardflow/cardflow/internal/temporalconn"
)

// Command is the console's command line.
type Command struct {
	Listen           string `name:"listen" env:"CARDS_CONSOLE_LISTEN" default:"127.0.0.1:8080" help:"Address the console listens on."`
	URL              string `name:"url" env:"CARDS_CONSOLE_URL" default:"http://127.0.0.1:8080" help:"External base URL of the console (https:// makes the session cookie Secure); the identity provider redirects to <url>/auth/callback."`
	OIDCIssuer       string `name:"oidc-issuer" env:"CARDS_OIDC_ISSUER" help:"OpenID Connect issuer URL (the local Dex of make up: http://127.0.0.1:5556/dex)."`
	OIDCClientID     string `name:"oidc-client-id" env:"CARDS_OIDC_CLIENT_ID" help:"Client id registered for the console at the identity provider."`
	OIDCClientSecret string `name:"oidc-client-secret" env:"CARDS_OIDC_CLIENT_SECRET" help:"Client secret (empty for a public client; PKCE protects the code either way)."`
	OIDCUserClaim    string `name:"oidc-user-claim" env:"CARDS_OIDC_USER_CLAIM" default:"email" help:"ID token claim matched against users.email to find the directory user."`
	// The card page shows a produced card's front and back from here.
	StationOutputRoot string `name:"station-output-root" env:"CARDS_STATION_OUTPUT_ROOT" default:".run/stations" help:"Folder holding the print stations' output, <root>/<station id>/<card id>/front.png: the card page shows the card as printed from there."`
	// The database holds the directory, the cards and the sessions.
	cliparse.Database
	cliparse.Temporal
	cliparse.PolicyFile
	cliparse.Codec
	cliparse.Logging
}

// Run parses args and serves the console until ctx ends; it returns the
// exit code: 0 after a clean stop, 1 when the console cannot start (with a
// message that names the setting to change), 2 for bad usage.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cmd Command
	_, code, done := cliparse.Parse("console", &cmd, args, stdout, stderr,
		kong.Description("cardflow console: the web console where operators request cards and approvers decide them, after signing in with OpenID Connect."),
	)
	if done {
		return code
	}
	// The key decision before anything else: without keys the console
	// would send the names it requests cards for to Temporal in clear.
	if _, err := codec.ResolveKeyFile(cmd.CodecKeys); err != nil {
		fmt.Fprintf(stderr, "console: %v\n", err)
		return 1
	}
	log, err := cmd.Logger()
	if err != nil {
		fmt.Fprintf(stderr, "console: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	err = console.Run(ctx, console.Config{
		Listen: cmd.Listen,
		URL:    cmd.URL,
		Auth: console.AuthConfig{
			Issuer: cmd.OIDCIssuer, ClientID: cmd.OIDCClientID, ClientSecret: cmd.OIDCClientSecret, UserClaim: cmd.OIDCUserClaim,
		},
		DatabaseURL:       cmd.DatabaseURL,
		TaskQueue:         cmd.TaskQueue,
		PolicyPath:        cmd.Policy,
		StationOutputRoot: cmd.StationOutputRoot,
		Temporal: temporalconn.Settings{Address: cmd.TemporalAddress, Namespace: cmd.TemporalNamespace,
			CodecKeys: cmd.CodecKeys},
		Log: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "console: %v\n", err)
		return 1
	}
	return 0
}
