package cardops

import (
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cardflow/cardflow/internal/codec"
)

// A lane's retrying activity gets a waiting line of its own, with its
// title and the failure's own message: the worker's failure converter
// keeps the message in the failure's encoded attributes, which the
// client's converter reads back (Temporal alone says "Encoded failure").
func TestWaitingLineNamesTheRetriedLaneStepAndItsFailure(t *testing.T) {
	fc := codec.FailureConverter(converter.GetDefaultDataConverter())
	const cause = `revoke certificate 42 of card c1: CFSSL revoke: Post "http://127.0.0.1:8888/api/v1/cfssl/revoke": dial tcp 127.0.0.1:8888: connect: connection refused`
	failure := fc.ErrorToFailure(temporal.NewApplicationError(cause, ""))
	if failure.GetMessage() != "Encoded failure" {
		t.Fatalf("the worker's converter keeps the message %q in clear; the test assumes it is encoded", failure.GetMessage())
	}
	desc := &workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: []*workflowpb.PendingActivityInfo{
		{ActivityType: &commonpb.ActivityType{Name: "CheckOperation"}, Attempt: 1},
		{ActivityType: &commonpb.ActivityType{Name: "RevokeCertificates"}, Attempt: 6, LastFailure: failure,
			NextAttemptScheduleTime: timestamppb.New(time.Now().Add(16 * time.Second))},
	}}

	line := (&Client{Failures: fc}).describeWaiting(desc, "")
	want := "waiting: Revoke certificates, attempt 5 failed: " + cause + "; retrying in "
	if !strings.HasPrefix(line, want) {
		t.Fatalf("waiting line\n%q\nwant it to start with\n%q", line, want)
	}
	if got := sameWait(line); got != strings.TrimSuffix(want, retryingIn) {
		t.Errorf("sameWait(%q) = %q: the countdown must not make a new line", line, got)
	}
	// Without the converter the line still names the step.
	if line := (&Client{}).describeWaiting(desc, ""); !strings.HasPrefix(line, "waiting: Revoke certificates, attempt 5 failed: Encoded failure") {
		t.Errorf("without the client's converter: %q", line)
	}
	for _, name := range []string{"HoldCertificates", "HoldAgain", "ReleaseCertificates", "RevokeCertificates", "CheckOperation", "Transition", "RecordAbort"} {
		if activityTitle(name) == name {
			t.Errorf("lane activity %s has no title", name)
		}
	}
}
