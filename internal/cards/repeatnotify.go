package cards

import (
	"slices"
	"strings"
)

// Repeatable holder e-mails (issue 19). The outbox and the notifications
// table keep one row per card and event, which is what sends each e-mail
// once; an event that can happen again in a card's life therefore needs a
// key of its own per occurrence, or its second occurrence finds the first
// one's row and sends nothing.

// RepeatableEvents are the holder's events that may happen more than once
// for one card, each keyed by the operation that caused it
// (OperationEvent): reactivated, since a card may be deactivated and
// reactivated any number of times. The others happen once per card, so
// their plain name is their key: issued (a card becomes issued once:
// Repeat production starts from failed, and an issued card never fails),
// activated (only from issued), locked and expired (final).
var RepeatableEvents = []string{NotifyReactivated}

// operationSep separates a repeatable event's kind from its operation, as
// in the operations' approval e-mails ("deactivation-requested:<run>").
const operationSep = ":"

// OperationEvent is the event of the repeatable e-mail kind caused by
// operation, the workflow run that made the transition
// ("reactivated:<run id>"): each reactivation is mailed once, while a retry
// of the same one (same run, same audit token) finds its row and queues
// nothing twice.
func OperationEvent(kind, operation string) string { return kind + operationSep + operation }

// repeatKind returns the kind of an operation's repeatable event
// ("reactivated:<run>"), or "".
func repeatKind(event string) string {
	kind, operation, ok := strings.Cut(event, operationSep)
	if ok && operation != "" && slices.Contains(RepeatableEvents, kind) {
		return kind
	}
	return ""
}

// EventLabel is a stored event as people read it, without the operation
// or approval that keys it: "reactivated:<run>" reads "reactivated",
// "deactivation-requested:<run>" reads "deactivation-requested". Events
// without a key (every row written before the keys, plain "reactivated"
// included) read as they are.
func EventLabel(event string) string {
	label, _, _ := strings.Cut(event, operationSep)
	return label
}
