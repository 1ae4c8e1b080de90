package workerapp

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/outage"
)

// Once a missing privilege is reported, the SDK's per-attempt "Activity
// error." and the workflow's "Waiting for infrastructure" that repeat it
// are demoted; other errors keep their level.
func TestQuietWhileAMissingPrivilegeIsReported(t *testing.T) {
	perms := &outage.Permissions{Missing: func(context.Context, outage.Object) ([]string, error) { return []string{"INSERT"}, nil }}
	defer perms.Close()
	db := &outage.Tracker{Name: "PostgreSQL"}
	quiet := quietDuringOutage(db, perms)
	denied := fmt.Errorf("claim notification: %w", &pq.Error{Code: "42501", Message: "permission denied for table notifications"})
	activityError := []any{"ActivityType", "Notify", "Error", denied}
	waiting := []any{"step", "Save card", "error", "pq: permission denied for table notifications"}
	if quiet("Activity error.", activityError) || quiet("Waiting for infrastructure", waiting) {
		t.Fatal("demoted before the tracker reported the missing privilege")
	}
	perms.Observe(denied)
	if !quiet("Activity error.", activityError) || !quiet("Waiting for infrastructure", waiting) {
		t.Fatal("the repeated permission denied lines are not demoted")
	}
	if quiet("Activity error.", []any{"Error", errors.New("pq: relation \"cards\" does not exist")}) ||
		quiet("Waiting for infrastructure", []any{"error", "dial tcp: connection refused"}) {
		t.Fatal("an unrelated error was demoted")
	}
}
