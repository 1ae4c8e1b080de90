package requestcard

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// versionChangeID names RequestCard's versioned change point. Every new
// execution records it (a marker in its history, and "request-card-N" in the
// TemporalChangeVersion search attribute), so that the next change to the
// workflow's commands can branch on it and the worker can find executions
// that still run a retired version.
const versionChangeID = "request-card"

// currentVersion is the behaviour new executions run. Version 2 ("lean"):
// one local activity for the reads, no search-attribute upsert before the
// card exists when the client set them at start, the requested and decided
// e-mails queued with the card's writes, one timer at a time while waiting
// for approval, and decision signals handled by the main coroutine.
// Version 3: the approval runs on the shared approval process
// (workflows/approval): postpone, the approvals row, each vote an audit row.
// Version 4: the vote that decides is written by the decision's own
// TransitionCard (its audit row first, then the change), not by a
// RecordVote local activity: the history of an approval card is as long as
// version 2's again.
// Version 5: the card's two writes (PersistCard, TransitionCard) take
// their first try as local activities, like the reads, inside workflow
// tasks that run anyway: an approval card's history loses two activities
// and two workflow tasks (31 events to 23 with approval), and a request is
// answered after its first workflow task. A write that fails its first try
// (PostgreSQL unreachable) goes on as a regular activity, retried and shown
// as before.
const currentVersion workflow.Version = 5

// localWritesVersion is the version from which the card's writes take
// their first try as local activities.
const localWritesVersion workflow.Version = 5

// voteWithDecisionVersion is the version from which the deciding vote's
// audit row is written with the decision.
const voteWithDecisionVersion workflow.Version = 4

// leanVersion is version 2, whose executions still run its own approval
// code (await.go) until they end.
const leanVersion workflow.Version = 2

// minSupportedVersion is the oldest behaviour this code replays. Versions 0
// (no directory checks) and 1 (directory checks, one activity per read and
// per e-mail) are retired: an execution that recorded one of them fails its
// next workflow task with an unsupported-version error and waits until a
// worker of the previous release finishes it. Before deploying a release
// that raises this, check that no such execution is open (the operations
// guide's upgrade rule; the worker warns at start when it finds one).
const minSupportedVersion = leanVersion

// RetiredVersionsQuery is the visibility query that finds open RequestCard
// executions this code cannot run: those that recorded no version of the
// change point (they started before it existed, or have not run their first
// workflow task yet) or only retired ones. The operations guide's upgrade
// rule runs it with `temporal workflow list --query`, and the worker at
// start, to warn.
var RetiredVersionsQuery = retiredVersionsQuery()

func retiredVersionsQuery() string {
	supported := make([]string, 0, currentVersion-minSupportedVersion+1)
	for v := minSupportedVersion; v <= currentVersion; v++ {
		supported = append(supported, fmt.Sprintf("'%s-%d'", versionChangeID, v))
	}
	return fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND (TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN (%s))",
		WorkflowType, strings.Join(supported, ", "))
}
