package metrics

import "github.com/prometheus/client_golang/prometheus"

// Denied is a privilege the worker's database role lacks, as the
// cardflow_permission_denied labels say it.
type Denied struct {
	// Privilege is in GRANT's words ("INSERT", "UPDATE (status)"); empty
	// when PostgreSQL refused something the worker's list does not name.
	Privilege string
	// Object is the table or sequence.
	Object string
}

func newPermissionDenied() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cardflow_permission_denied",
		Help: "1 for each privilege the worker's database role was refused and still lacks (the work that needs it is retried until it is granted); no series when none is missing.",
	}, []string{"privilege", "object"})
}

// PermissionsDenied sets cardflow_permission_denied to the privileges
// missing now: an alert can tell a missing GRANT from an outage (the
// retries' cause says permission_denied too, but only for activities, not
// for the e-mail outbox).
func (m *Metrics) PermissionsDenied(open []Denied) {
	m.permissionDenied.Reset()
	for _, d := range open {
		m.permissionDenied.WithLabelValues(d.Privilege, d.Object).Set(1)
	}
}
