package notify

import (
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/outage"
)

// health turns the dispatcher's failures into one log line when a
// dependency starts failing and one when it works again, however many
// events and polls meet the failure in between: an outage of PostgreSQL or
// of the SMTP server must not write a line per event or per second.
type health struct {
	log     *zap.Logger
	observe func(error)
	// db and mail are the open failures; dbLogged says the dispatcher
	// itself reported db (the outage tracker did not).
	db, dbLogged, mail bool
}

// databaseFailed reports a PostgreSQL error. The worker's trackers, when
// there are, see every error and report an unreachable database and a
// missing privilege themselves; other errors (a missing table) are the
// dispatcher's to report.
func (h *health) databaseFailed(err error) {
	if h.observe != nil {
		h.observe(err)
	}
	if h.db {
		return
	}
	h.db = true
	if cause := outage.Classify(err); h.observe != nil && (cause == outage.DatabaseUnreachable || cause == outage.PermissionDenied) {
		return
	}
	h.dbLogged = true
	h.log.Warn("Notification outbox: PostgreSQL failed; queued e-mails wait and are retried (logged once until it works again)", zap.Error(err))
}

// databaseWorks closes a PostgreSQL failure.
func (h *health) databaseWorks() {
	if h.dbLogged {
		h.log.Info("Notification outbox: PostgreSQL works again; sending queued e-mails")
	}
	h.db, h.dbLogged = false, false
}

// mailFailed reports a temporary failure to send (the SMTP server
// unreachable, a 4xx reply).
func (h *health) mailFailed(err error) {
	if h.mail {
		return
	}
	h.mail = true
	h.log.Warn("E-mail delivery failed temporarily; queued e-mails are retried with backoff (logged once until an e-mail goes out again)", zap.Error(err))
}

// mailWorks closes a temporary mail failure.
func (h *health) mailWorks() {
	if h.mail {
		h.log.Info("E-mail delivery works again")
	}
	h.mail = false
}
