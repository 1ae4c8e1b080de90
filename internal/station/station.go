package station

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/ca"
)

// Station is one print station: it produces the cards sent to its task
// queue into Output, one folder per card id. Its zero value is not usable:
// ID, Output and Issuer are needed.
type Station struct {
	// ID names the station (its task queue is TaskQueue(ID)); it is written
	// into every Result so that the audit trail says where a card was made.
	ID string
	// Output is the folder the station "prints" into: <Output>/<card id>/.
	Output string
	// Issuer certifies the keys the station generates: only CSRs leave the
	// station.
	Issuer ca.Issuer
	// Logger gets one line per job (never a key); nil logs nothing.
	Logger *zap.Logger
	// CAWait is how long a job waits for a CA that does not answer (down,
	// restarting) before it fails with CAUnavailable; the keys stay on the
	// chip meanwhile and nothing is printed. Zero means DefaultCAWait.
	CAWait time.Duration
}

// DefaultCAWait rides out a CA restart or a short outage inside the job,
// well within IssueCard's ten minutes for the whole job.
const DefaultCAWait = 5 * time.Minute

func (s *Station) caWait() time.Duration {
	if s.CAWait > 0 {
		return s.CAWait
	}
	return DefaultCAWait
}

// Register registers ProduceCard under its name, ProduceCardActivity, which
// is how IssueCard calls it (the worker does not register it).
func (s *Station) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(s.ProduceCard, activity.RegisterOptions{Name: ProduceCardActivity})
}

// log is the station's logger, or a no-op one.
func (s *Station) log() *zap.Logger {
	if s.Logger == nil {
		return zap.NewNop()
	}
	return s.Logger
}
