// Package approval is the approval process that Request card, Deactivate
// card, Reactivate card and Lock card share ("Cards - Approval handling"):
// approve, reject (a reason is required) and postpone (the task stays in
// the approver's Inbox, marked, with the comment; nothing else changes and
// the timeout still runs); distinct approvers who are neither the requester
// nor the card's holder, each checked against the directory when the vote
// arrives (internal/approvalrules, the one rule set); the approval timeout
// and the reminder before it, one timer at a time; votes as updates
// (answered) and, for callers that take them (Request card), as signals
// (ignored with the reason when they break a rule).
//
// It is code that runs inside the calling workflow, not a workflow type of
// its own (Temporal's guidance: no child workflow just to organise code),
// so decisions are updates to the operation's own workflow. PostgreSQL
// holds the approval too: a row in approvals while it is open (what the
// Inbox lists) and an audit row in card_events per accepted vote.
package approval
