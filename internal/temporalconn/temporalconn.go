// Package temporalconn connects to Temporal the same way in the worker and the
// starter: the SDK's envconfig reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_* and the optional TOML profile, so a dev
// server, a self-hosted cluster and Temporal Cloud differ only in environment.
package temporalconn

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/cardflow/cardflow/internal/codec"
)

// Defaults that match a local `temporal server start-dev`.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Settings override what envconfig loads; empty fields keep its values.
type Settings struct {
	Address   string
	Namespace string
	Logger    log.Logger
	// Compression is "gzip" (the SDK's default, right over a WAN such as
	// Temporal Cloud) or "none" (saves CPU on both ends over loopback or a
	// LAN); empty keeps the default.
	Compression string
	// EnvLookup replaces the process environment (tests); nil reads os.Environ.
	EnvLookup envconfig.EnvLookup
	// CodecKeys is the CARDS_CODEC_KEYS setting, resolved by
	// codec.ResolveKeyFile: the key file whose keys encrypt every payload and
	// failure message, or codec.Plaintext for payloads in clear. Empty looks
	// for codec.LocalKeyFile and fails without it, so that a forgotten
	// setting never sends names to Temporal in clear.
	CodecKeys string
	// Codec, when set, is used instead of CodecKeys: the worker's, which it
	// configured and whose plaintext count it exports.
	Codec *codec.Codec
}

// Options returns client options from the environment plus s.
func Options(s Settings) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: s.EnvLookup})
	if err != nil {
		return client.Options{}, fmt.Errorf("read Temporal connection settings: %w", err)
	}
	if s.Address != "" {
		opts.HostPort = s.Address
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultAddress
	}
	if err := CheckAddress(opts.HostPort); err != nil {
		return client.Options{}, err
	}
	if s.Namespace != "" {
		opts.Namespace = s.Namespace
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if s.Logger != nil {
		opts.Logger = s.Logger
	}
	if err := setConverters(&opts, s); err != nil {
		return client.Options{}, err
	}
	switch s.Compression {
	case "", "gzip":
	case "none":
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	default:
		return client.Options{}, fmt.Errorf("gRPC compression %q: use gzip or none", s.Compression)
	}
	return opts, nil
}

// setConverters gives opts the payload codec of s, for data and for failures
// alike, so that the worker, the starter, the bench and the console read and
// write the same encrypted history.
func setConverters(opts *client.Options, s Settings) error {
	c := s.Codec
	if c == nil {
		var err error
		if c, _, err = codec.FromSetting(s.CodecKeys); err != nil {
			return err
		}
	}
	opts.DataConverter = codec.DataConverter(c)
	opts.FailureConverter = codec.FailureConverter(opts.DataConverter)
	return nil
}

// Dial connects and checks that the server answers and has the namespace,
// within timeout, so that a wrong address fails fast with a message that
// names it, and a namespace that does not exist with a *SettingError.
func Dial(ctx context.Context, opts client.Options, timeout time.Duration) (client.Client, error) {
	dialCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %w (check TEMPORAL_ADDRESS and that the server is running)", opts.HostPort, opts.Namespace, err)
	}
	if err := checkNamespace(dialCtx, c, opts.HostPort, opts.Namespace); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// MissingSearchAttributes returns the names in want that the namespace has not
// registered. A workflow that upserts an unregistered attribute fails its
// tasks, so the worker checks before it polls.
func MissingSearchAttributes(ctx context.Context, c client.Client, namespace string, want []string) ([]string, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range want {
		if t, ok := resp.GetCustomAttributes()[name]; !ok || t != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	return missing, nil
}

// Reachable reports whether address accepts TCP connections within timeout:
// a quick, readable answer ("connect: connection refused") before the SDK's
// dial, which retries until its deadline.
func Reachable(address string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return err
	}
	return conn.Close()
}
