package startercmd

import (
	"errors"
	"strings"

	"github.com/cardflow/cardflow/internal/codec"
)

// commandsWithoutTemporal read and write PostgreSQL only, so they run without
// a key file; every other command (and any added later) needs one.
var commandsWithoutTemporal = map[string]bool{"list": true, "users": true}

// checkKeys makes the key decision before the command runs: a broken key
// file stops every command, so that it is found before it matters; a
// missing one stops those that talk to Temporal, before anything is sent, as
// a configuration failure (exit 1) like a broken file. It returns the exit
// code and whether to stop.
func (e *env) checkKeys(setting, command string) (int, bool) {
	_, keyFile, err := codec.FromSetting(setting)
	switch {
	case errors.Is(err, codec.ErrNoKeyFile):
		if words := strings.Fields(command); len(words) > 0 && commandsWithoutTemporal[words[0]] {
			return 0, false
		}
		return e.out.fail(&failure{Type: "NoKeyFile", Err: err}), true
	case err != nil:
		return e.out.fail(&failure{Type: "BadKeyFile", Err: err}), true
	case keyFile == "":
		e.codecKeys = codec.Plaintext
	default:
		e.codecKeys = keyFile
	}
	return 0, false
}
