package startercmd

import (
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/expiry"
)

func TestSweepTextListsCardTypesAndMarksLongestFirst(t *testing.T) {
	totals := expiry.Totals{}
	totals.Remind("standard", "168h")
	totals.Remind("standard", "1440h")
	totals.Remind("standard", "daily-2029-11-20")
	totals.Remind("standard", "1440h")
	totals.Expire("visitor")
	got := sweepText(sweepDoc{WorkflowID: "card-expiry-sweep-manual-1", Now: time.Date(2029, 11, 20, 2, 0, 0, 0, time.UTC),
		Reminded: totals.Reminded(), Expired: totals.Expired(), Visited: 5, Pages: 1, CardTypes: totals})
	want := "Expiry sweep card-expiry-sweep-manual-1 as of 2029-11-20 02:00:00 UTC: 4 reminded, 1 expired (5 cards looked at, 1 pages)\n" +
		"  standard: reminded 1440h 2, 168h 1, daily 1; expired 0\n" +
		"  visitor: reminded none; expired 1\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
