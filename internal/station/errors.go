package station

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Failure types added to the printer's codes in job.go: both end the job
// before anything is printed.
const (
	// ErrInvalidJob is a job the station refuses to print: a card number
	// that fails its check digit, a card id that is not a folder name, no
	// holder name, an unknown usage. Printing it would make a wrong card
	// for good.
	ErrInvalidJob = "InvalidJob"
	// ErrCAUnavailable is a CA that did not answer (down, a timeout): worth
	// another try, but by the operator's Repeat production, since a
	// physical job is never retried automatically.
	ErrCAUnavailable = "CAUnavailable"
)

// FailureTypes lists every failure type a job can end with, the words a
// fail-next file may hold.
var FailureTypes = []string{
	ErrRibbonOut, ErrCardJam, ErrHopperEmpty, ErrEncodeFailed, ErrPrinterOffline,
	ErrOutputFailed, ErrCertificate, ErrInvalidJob, ErrCAUnavailable,
}

// fail is a job's failure: non-retryable, since a physical print runs once
// and a new attempt is the operator's Repeat production. The message must
// hold no secret: it lands in the workflow's history and the audit trail,
// after the station's name (IssueCard says which station failed).
func fail(errType string, cause error, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, cause)
}
