// Package workflows is where cardflow's Temporal workflows live and the one
// place that lists them (Definitions, Register): the worker and the tests
// that replay histories register exactly what is listed here, so a new
// workflow type is added in one line.
//
// Layout: one package per workflow type, named after it, holding the
// workflow, its names (workflow id, signals, updates, queries, search
// attributes: the contract other programs rely on), its versioning and its
// unit tests:
//
//	requestcard/     RequestCard (Request card)
//	issuecard/       IssueCard (Issue card, Issue multiple cards)
//	activatecard/    ActivateCard
//	deactivatecard/  DeactivateCard
//	reactivatecard/  ReactivateCard
//	lockcard/        LockCard
//	order/           Order (an order of several cards)
//	expirysweep/     ExpirySweep (reminders before valid_until, then expired)
//	approval/        the approval process they share (not a workflow type;
//	                 RequestCard's own until a second workflow needs it)
//
// requestcard, issuecard, activatecard, expirysweep and approval exist so
// far; the others are where the next workflow types go. Recorded histories of every type are in
// testdata/histories and are replayed by replay_test.go against the
// registered definitions.
package workflows
