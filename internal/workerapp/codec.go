package workerapp

import (
	"errors"

	"github.com/cardflow/cardflow/internal/codec"
)

// workerCodec is the payload codec of the worker's own Temporal connection,
// from CARDS_CODEC_KEYS (a missing key file stops the worker) and
// CARDS_CODEC_REQUIRE, with the key file it read; nil when the worker runs
// on a client it was given.
func workerCodec(cfg Config) (*codec.Codec, string, error) {
	if cfg.Client != nil {
		if cfg.CodecRequire {
			return nil, "", errors.New("CARDS_CODEC_REQUIRE needs the worker's own Temporal connection, not a shared client")
		}
		return nil, "", nil
	}
	cdc, keyFile := cfg.Temporal.Codec, cfg.Temporal.CodecKeys
	if cdc == nil {
		var err error
		if cdc, keyFile, err = codec.FromSetting(cfg.Temporal.CodecKeys); err != nil {
			return nil, "", err
		}
	}
	if cdc.Encrypts() {
		cdc.MarkPlaintext()
	}
	if cfg.CodecRequire {
		if !cdc.Encrypts() {
			return nil, "", errors.New("CARDS_CODEC_REQUIRE=true refuses unencrypted payloads, but CARDS_CODEC_KEYS=" + codec.Plaintext +
				" makes the worker write its own in clear: set CARDS_CODEC_KEYS to the key file, or CARDS_CODEC_REQUIRE=false")
		}
		cdc.RequireEncryption()
	}
	return cdc, keyFile, nil
}
