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

// versionLean does the same work as versionDirectory with fewer Temporal
// commands and less worker memory per card: one local activity for the
// reads instead of three; no search-attribute upsert before the card exists
// when the client set them at start; the requested and decided e-mails
// queued with the card write (an outbox) instead of a Notify activity each;
// the reminder and the approval timeout as one timer at a time; and
// signals handled by the main coroutine instead of one of their own.
const versionLean workflow.Version = 2

// latestVersion is what new executions run.
const latestVersion = versionLean

// directory reports whether this execution runs the directory behaviour.
func (r *request) directory() bool { return r.version >= versionDirectory }

// lean reports whether this execution runs the lean behaviour.
func (r *request) lean() bool { return r.version >= versionLean }
