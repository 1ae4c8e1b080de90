package station

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FailNextName is the file in the output folder that makes the next job
// fail, for demos and tests: it holds a failure type (RibbonOut, CardJam,
// ...) and optionally, after a space, a message. The job that finds it
// deletes it, so exactly one job fails.
const FailNextName = "fail-next"

// failNext returns the failure the fail-next file asks for, having deleted
// the file, or nil when there is none. A word that is no failure type still
// fails the job (someone asked for a failure), as PrinterOffline, saying so.
func (s *Station) failNext() error {
	path := filepath.Join(s.Output, FailNextName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fail(ErrOutputFailed, err, "cannot read %s", path)
	}
	// The removal is the claim: a file someone else removed first is theirs.
	if err := os.Remove(path); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fail(ErrOutputFailed, err, "cannot remove %s", path)
	}
	reason, message, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	message = strings.TrimSpace(message)
	if message == "" {
		message = "simulated by " + FailNextName
	}
	if !slices.Contains(FailureTypes, reason) {
		return fail(ErrPrinterOffline, nil, "%s asked for failure %q, which is none of %s (%s)",
			FailNextName, reason, strings.Join(FailureTypes, ", "), message)
	}
	return fail(reason, nil, "%s", message)
}

// FailNext writes the fail-next file into output: the next job there fails
// with reason (a failure type) and message. For demos and tests.
func FailNext(output, reason, message string) error {
	if !slices.Contains(FailureTypes, reason) {
		return fmt.Errorf("failure %q: want one of %s", reason, strings.Join(FailureTypes, ", "))
	}
	if err := os.MkdirAll(output, 0o755); err != nil {
		return err
	}
	return writeAtomic(output, FailNextName, []byte(strings.TrimSpace(reason+" "+message)+"\n"))
}
