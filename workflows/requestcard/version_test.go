package requestcard_test

import (
	"testing"

	"github.com/cardflow/cardflow/workflows/requestcard"
)

// TestRetiredVersionsQuery pins the query the operations guide tells
// operators to run before an upgrade: if this changes, the guide's
// `temporal workflow list --query` command changes with it.
func TestRetiredVersionsQuery(t *testing.T) {
	const want = "WorkflowType = 'RequestCard' AND ExecutionStatus = 'Running' AND " +
		"(TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN ('request-card-2', 'request-card-3', 'request-card-4', 'request-card-5'))"
	if requestcard.RetiredVersionsQuery != want {
		t.Fatalf("query\n%s\nwant\n%s", requestcard.RetiredVersionsQuery, want)
	}
}
