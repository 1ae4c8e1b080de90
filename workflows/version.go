package workflows

import "go.temporal.io/sdk/workflow"

// versionChangeID names RequestCard's one versioned change point. It is
// taken once, at the start of an execution, and decides every behaviour
// below for the whole execution: requests already running keep the
// behaviour they started with, and their histories keep replaying.
const versionChangeID = "request-card"

// versionDirectory checks requesters and approvers against the directory's
// roles, retries infrastructure errors instead of refusing (falling back
// from local to regular activities), and sends e-mail notifications.
const versionDirectory workflow.Version = 1

// latestVersion is what new executions run.
const latestVersion = versionDirectory

// directory reports whether this execution runs the directory behaviour.
func (r *request) directory() bool { return r.version >= versionDirectory }
