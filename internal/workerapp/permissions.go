package workerapp

import (
	"context"
	"strings"

	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/schema"
)

// watchPermissions connects the tracker of missing privileges: a
// permission denied error is traced to the privileges the worker needs on
// the object PostgreSQL named (schema.WorkerPrivileges), and
// cardflow_permission_denied follows what is missing.
func watchPermissions(p *outage.Permissions, st *store.Store, m *metrics.Metrics, role string) {
	p.Missing = func(ctx context.Context, obj outage.Object) ([]string, error) {
		switch obj.Kind {
		case "table", "sequence":
			return schema.MissingOn(ctx, st.DB.DB, obj.Name, obj.Kind == "sequence")
		}
		return nil, nil
	}
	p.Fix = "grant it with " + strings.ReplaceAll(schema.GrantCommand, "ROLE", role)
	p.OnChange = func(denied []outage.Denial) {
		open := make([]metrics.Denied, 0, len(denied))
		for _, d := range denied {
			open = append(open, metrics.Denied{Privilege: d.Privilege, Object: d.Object.Name})
		}
		m.PermissionsDenied(open)
	}
}

// observeBoth hands an error to both trackers: whether it is an outage or
// a missing privilege is theirs to tell.
func observeBoth(db *outage.Tracker, p *outage.Permissions) func(error) {
	return func(err error) {
		db.Observe(err)
		p.Observe(err)
	}
}

// currentRole names the role the worker connects as, for the fix it
// suggests; empty when it cannot be read (the message then says ROLE).
func currentRole(ctx context.Context, st *store.Store) string {
	var role string
	if err := st.DB.QueryRowContext(ctx, `SELECT current_user`).Scan(&role); err != nil {
		return "ROLE"
	}
	return role
}
