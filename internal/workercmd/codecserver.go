package workercmd

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/codecserver"
)

// CodecServerCmd serves the codec endpoint for the Temporal UI and CLI.
type CodecServerCmd struct {
	cliparse.Logging
	cliparse.Codec
	Listen      string `name:"listen" env:"CARDS_CODEC_LISTEN" default:"127.0.0.1:8234" help:"Address to serve the codec endpoint on."`
	CORSOrigins string `name:"cors-origins" env:"CARDS_CODEC_CORS_ORIGINS" default:"http://localhost:8233" help:"Comma-separated browser origins (the Temporal UI's) allowed to call the endpoint."`
	Token       string `name:"token" env:"CARDS_CODEC_TOKEN" help:"When set, requests need 'Authorization: Bearer <token>' (the CLI: --codec-auth 'Bearer <token>'; the UI sends it only to https endpoints)."`
}

// Run serves until the context ends (SIGINT or SIGTERM).
func (c *CodecServerCmd) Run(rc *runContext) error {
	log, err := c.Logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	if c.CodecKeys == codec.Plaintext {
		return fmt.Errorf("the codec server decrypts with the worker's keys, and CARDS_CODEC_KEYS=%s gives it none: set CARDS_CODEC_KEYS (or --codec-keys) to the worker's key file", codec.Plaintext)
	}
	cdc, keyFile, err := codec.FromSetting(c.CodecKeys)
	if err != nil {
		return err
	}
	origins, err := codecserver.ParseOrigins(c.CORSOrigins)
	if err != nil {
		return fmt.Errorf("CARDS_CODEC_CORS_ORIGINS: %w", err)
	}
	srv, err := codecserver.Listen(c.Listen, codecserver.Handler(codecserver.Config{Codec: cdc, Origins: origins, Token: c.Token}))
	if err != nil {
		return err
	}
	log.Info("Codec server listening", zap.String("url", "http://"+srv.Addr), zap.String("keyFile", keyFile),
		zap.Strings("keyIds", cdc.KeyIDs()), zap.String("corsOrigins", strings.Join(origins, ",")), zap.Bool("tokenRequired", c.Token != ""))
	fmt.Fprintf(rc.stdout, "Codec server on http://%s (keys from %s). Use: temporal workflow show --codec-endpoint http://%s ...\n", srv.Addr, keyFile, srv.Addr)
	<-rc.ctx.Done()
	log.Info("Codec server stopping")
	return srv.Close()
}
