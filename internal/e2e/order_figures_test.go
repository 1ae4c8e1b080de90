package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/order"
)

// TestRequestOrderFigures measures a request order of
// $CARDFLOW_ORDER_FIGURES users (skipped unless set): the time until every
// user is tried and the history events of each run. Figures, not a check.
func TestRequestOrderFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CARDFLOW_ORDER_FIGURES"))
	if n <= 0 {
		t.Skip("set CARDFLOW_ORDER_FIGURES=N to measure an order of N users")
	}
	h := newHarness(t)
	ctx := context.Background()
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("fig%05d", i)
		if err := h.store.UpsertUser(ctx, cards.User{ID: users[i], GivenName: "G", Surname: users[i], UPN: users[i] + "@example.com",
			Email: users[i] + "@mail.example.com", State: "active"}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	d := h.orderDoc("order", "request", "--users", strings.Join(users, ","), "--operator", "olivia")
	took := time.Since(start)
	t.Logf("%d users: %s in %s (%.1f cards/s), counts %+v", n, d.State, took.Round(time.Millisecond), float64(n)/took.Seconds(), d.Counts)
	resp, err := h.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s'", order.WorkflowID(d.ID)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range resp.GetExecutions() {
		events := 0
		iter := h.client.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			if _, err := iter.Next(); err != nil {
				t.Fatal(err)
			}
			events++
		}
		t.Logf("run %s: %d events, %s", e.GetExecution().GetRunId(), events, e.GetStatus())
	}
}
