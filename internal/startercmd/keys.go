package startercmd

import (
	"errors"

	"github.com/cardflow/cardflow/internal/codec"
)

// checkKeys reads the key setting before the command runs: a broken key file
// stops every command, so that it is found before it matters. A missing one
// is left to the first connection to Temporal (temporalConnectionError), so
// that list and users, which read PostgreSQL only, run without keys and bad
// usage is named first; nothing reaches Temporal before it. It returns the
// exit code and whether to stop.
func (e *env) checkKeys(setting string) (int, bool) {
	_, keyFile, err := codec.FromSetting(setting)
	switch {
	case errors.Is(err, codec.ErrNoKeyFile):
		e.codecKeys = setting
	case err != nil:
		return e.out.fail(&failure{Type: "BadKeyFile", Err: err}), true
	case keyFile == "":
		e.codecKeys = codec.Plaintext
	default:
		e.codecKeys = keyFile
	}
	return 0, false
}

// temporalConnectionError types an error of the connection settings: no key
// file is a configuration failure (exit 1, like a broken key file), not an
// unreachable server.
func temporalConnectionError(err error) error {
	var f *failure
	switch {
	case errors.As(err, &f):
		return err
	case errors.Is(err, codec.ErrNoKeyFile):
		return &failure{Type: "NoKeyFile", Err: err}
	}
	return &failure{Type: "TemporalUnreachable", Err: err}
}
