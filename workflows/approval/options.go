package approval

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
)

// Options fit the process to a caller whose workflow does more than wait
// for the approval (Request card). The zero value is what an operation
// such as Deactivate card needs. Added to the API in issue 19 (additive).
type Options struct {
	// Signals makes Await take votes sent as signals of the vote names too
	// (Request card's contract); a signal that breaks a rule changes
	// nothing and is passed to Ignored.
	Signals bool
	// Ignored receives each refused signal with the reason.
	Ignored func(ctx workflow.Context, kind, actor, reason string)
	// Pending wakes Await for the caller's own input (Request card's
	// cancel signal); Await then calls Handle, on its coroutine.
	Pending func() bool
	Handle  func(ctx workflow.Context)
	// Stop ends Await with Aborted once it reports true (the caller ended
	// the operation otherwise: the requester cancelled).
	Stop func() bool
	// Refuse runs the caller's own rules before the process's, in
	// validators and handlers (Request card: the card not persisted yet,
	// already decided).
	Refuse func(kind string, d cards.DecisionInput) error
	// Answer is what a vote's update answers; nil answers Status.
	Answer func() any
	// Settled holds a deciding update's answer until it reports true (the
	// caller wrote the outcome); nil waits until the row is closed.
	Settled func() bool
	// Failed is the caller's failure to write the outcome, which a
	// deciding update then answers with (nil: none).
	Failed func() error
	// Remind sends the reminder before the timeout, given who approved
	// already; nil sends the approval reminder e-mail unless OwnMail.
	Remind func(ctx workflow.Context, acted []string)
	// OwnMail says the caller sends the approval's e-mails itself
	// (Request card queues them with the card's writes); otherwise the
	// process sends them: the approvers asked when it opens and reminded,
	// the requester told the outcome.
	OwnMail bool
	// CardNumber and CommonName are what the e-mails name the card by.
	CommonName string
	// ExpiresAt is the approval's deadline when the caller fixed it
	// already (Request card writes it with the card); zero: Open's time
	// plus the policy's timeout.
	ExpiresAt time.Time
	// RetryFor is how long the directory check retries an outage before
	// the vote is refused as InfrastructureUnavailable; zero: an hour.
	RetryFor time.Duration
	// Waiting is told what a step waits for while it retries an outage
	// (its summary and failure), and "" once it is done: Request card
	// shows it in its status.
	Waiting func(ctx workflow.Context, what string)
	// Voted is told each accepted vote, once it counts (before its audit
	// row is written): Request card refreshes its status and the details
	// the Temporal UI shows ("1 of 2 approvals"). It must not block.
	Voted func(ctx workflow.Context)
	// RowWrittenByCaller says the caller writes the approvals row itself,
	// in its own statements: opened with the card (Request card's
	// PersistCard) before OpenWith, closed with the outcome's write
	// (TransitionCard) after Await returns. The process then runs no
	// OpenApproval or CloseApproval of its own, two local activities fewer
	// per approval; each vote is still its own audit row (RecordVote).
	// Operations leave it false: the process writes the row.
	RowWrittenByCaller bool
	// DecidingVoteWrittenByCaller, with RowWrittenByCaller, leaves the
	// audit row of the vote that decides the approval to the caller's
	// outcome write too (Outcome.Vote; Request card's TransitionCard from
	// its version 4): one local activity fewer per approval. The votes
	// before it (a first of two approvals, a postponement) are still
	// written by the process as they are accepted.
	DecidingVoteWrittenByCaller bool
	// RequireEncryption ignores votes sent as signals in clear
	// (CARDS_CODEC_REQUIRE, as the policy recorded it).
	RequireEncryption bool
}
