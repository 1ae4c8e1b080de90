package stationcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/temporalconn"
)

// HeartbeatInterval bounds how long the Temporal UI may show an old step
// of a job: the SDK sends the latest heartbeat details at most this often
// (it would otherwise wait 80% of the heartbeat timeout).
const HeartbeatInterval = time.Second

// Config is a running station: what the command builds from its flags,
// and what tests give Serve directly.
type Config struct {
	ID string
	// Output is the station's folder; Serve creates it.
	Output string
	Issuer ca.Issuer
	// Temporal is the connection, with CodecKeys (CARDS_CODEC_KEYS): the
	// same key file as the worker's, which reads the station's results.
	Temporal temporalconn.Settings
	// Client, when set, is used instead of dialling Temporal (tests).
	Client client.Client
	Logger *zap.Logger
	// OnReady, when set, is called once the station polls.
	OnReady func()
}

// Serve runs the station until ctx ends, then stops polling and lets the
// job in hand finish.
func Serve(ctx context.Context, cfg Config) error {
	if err := station.CheckID(cfg.ID); err != nil {
		return err
	}
	if cfg.Issuer == nil {
		return errors.New("the station has no CA (Config.Issuer)")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	log := cfg.Logger.With(zap.String("station", cfg.ID))
	c := cfg.Client
	if c == nil {
		cdc, keyFile, err := codec.FromSetting(cfg.Temporal.CodecKeys)
		if err != nil {
			return err
		}
		cfg.Temporal.Codec = cdc
		if cfg.Temporal.Logger == nil {
			cfg.Temporal.Logger = logging.NewTemporalLogger(log)
		}
		opts, err := temporalconn.Options(cfg.Temporal)
		if err != nil {
			return err
		}
		if c, err = temporalconn.Dial(ctx, opts, 10*time.Second); err != nil {
			return err
		}
		defer c.Close()
		if cdc.Encrypts() {
			log.Info("Payloads encrypted", zap.String("keyFile", keyFile))
		} else {
			log.Warn("Payloads in clear (CARDS_CODEC_KEYS=" + codec.Plaintext + "): holders' names and UPNs reach Temporal unencrypted")
		}
	}
	// A folder that cannot be made fails each job with OutputFailed, which
	// the operator sees on the card, rather than every job waiting for a
	// station that never started.
	if err := os.MkdirAll(cfg.Output, 0o755); err != nil {
		log.Error("The output folder cannot be made: every job will fail with "+station.ErrOutputFailed, zap.String("output", cfg.Output), zap.Error(err))
	}

	queue := station.TaskQueue(cfg.ID)
	w := worker.New(c, queue, worker.Options{
		// One card at a time, as one printer prints.
		MaxConcurrentActivityExecutionSize: 1,
		MaxHeartbeatThrottleInterval:       HeartbeatInterval,
		DisableRegistrationAliasing:        true,
	})
	st := &station.Station{ID: cfg.ID, Output: cfg.Output, Issuer: cfg.Issuer, Logger: cfg.Logger} // it names itself
	st.Register(w)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start the station on task queue %s: %w", queue, err)
	}
	log.Info("Station polling", zap.String("taskQueue", queue), zap.String("output", cfg.Output))
	if cfg.OnReady != nil {
		cfg.OnReady()
	}
	<-ctx.Done()
	w.Stop()
	log.Info("Station stopped")
	return nil
}
