package station

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DoneName is the file written last into a card's folder: the job's id and
// Result. Its presence means every other file is complete; a job that finds
// its own id there returns the Result instead of printing again.
const DoneName = "done.json"

// ChipName is the file holding what was encoded on the chip.
const ChipName = "chip.json"

// doneRecord is the content of done.json.
type doneRecord struct {
	JobID  string `json:"jobId"`
	Result Result `json:"result"`
}

// finished returns the Result of job when dir holds it, and whether it did.
// A done.json of another job (an earlier generation) does not count; one
// that cannot be read is an output failure rather than a reprint.
func finished(dir, jobID string) (Result, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, DoneName))
	if errors.Is(err, os.ErrNotExist) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	var d doneRecord
	if err := json.Unmarshal(data, &d); err != nil {
		return Result{}, false, fmt.Errorf("%s: %w", filepath.Join(dir, DoneName), err)
	}
	if d.JobID != jobID {
		return Result{}, false, nil
	}
	return d.Result, true, nil
}

// writeAtomic writes data to dir/name through a temporary file in dir and
// a rename, so that a reader (or a crash) sees the old file or the new one,
// never half of one.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(dir, name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(dir, name, append(data, '\n'))
}
