// Package approval is the home of the approval process that Request card,
// Deactivate card, Reactivate card and Lock card share ("Cards - Approval
// handling"): one rule set for approve, reject (a reason is required),
// postpone and cancel; distinct approvers who are neither the requester nor
// the card's holder, each checked against the directory when the decision
// arrives; the approval timeout and the reminder before it, one timer at a
// time; decisions as updates (answered) and as signals (ignored with the
// reason when they break a rule).
//
// Today the process is RequestCard's own (workflows/requestcard:
// decisions.go, authorize.go, await.go, handlers.go). It moves here, as
// code that runs inside the calling workflow rather than a workflow type of
// its own, when the second workflow that needs it is written; RequestCard's
// commands must not change in that move (its recorded histories replay), so
// the move is a refactoring under the replay test, not a new version.
package approval
