// Package approvalrules is the one rule set of the approval process that
// Request card, Deactivate card, Reactivate card and Lock card share: who
// may approve, reject or postpone an operation waiting for approval. It is
// pure (no I/O): the workflow's update validators and signal handlers, the
// directory check at decision time (activities.AuthorizeDecision), the
// console's buttons and Inbox, and the e-mails' recipient lists all call
// it, so that the rules cannot drift apart between them.
package approvalrules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cardflow/cardflow/internal/cards"
)

// Vote kinds: what an approver may do with an open approval.
const (
	Approve  = cards.Approve
	Reject   = cards.Reject
	Postpone = "postpone"
)

// Kinds lists the vote kinds in a fixed order (handler registration).
var Kinds = []string{Approve, Reject, Postpone}

// Case is what the rules need to know about one open approval.
type Case struct {
	// Operation is request, deactivation, reactivation or lock.
	Operation string
	// RequestedBy asked for the operation; HolderID is the card's user.
	// Neither may decide it.
	RequestedBy string
	HolderID    string
	CardType    string
	// ApproverRole is the directory role an approver must hold when the
	// decision arrives.
	ApproverRole string
	// Approved are the approvers who approved so far (distinct approvers).
	Approved []string
}

// Rule names the rule a refusal broke, so that each caller can say it in
// its own words (the console speaks to "you").
type Rule string

// The rules, in the order they are checked.
const (
	RuleActor           Rule = "actor"
	RuleKind            Rule = "kind"
	RuleRequester       Rule = "requester"
	RuleHolder          Rule = "holder"
	RuleAlreadyApproved Rule = "alreadyApproved"
	RuleReason          Rule = "reason"
	RuleUnknownUser     Rule = "unknownUser"
	RuleInactive        Rule = "inactive"
	RuleRole            Rule = "role"
)

// Refusal is a broken rule: Type is the refusal type the workflow answers
// with (NotAllowed, InvalidDecision), Message says which rule in words.
type Refusal struct {
	Rule    Rule
	Type    string
	Message string
}

func (r *Refusal) Error() string { return r.Type + ": " + r.Message }

func refuse(rule Rule, typ, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// subject is how messages name what is decided: "this card" for a request
// (the words Request card always used), "this deactivation" and so on.
func (c Case) subject() string {
	if c.Operation == "" || c.Operation == "request" {
		return "this card"
	}
	return "this " + c.Operation
}

// Vote checks the rules that need no directory: an actor, a known kind,
// not the requester, not the card's holder, each approver once, a reason
// for a rejection. The workflow's validators run it when the vote arrives
// and again after the directory check (another vote may have come first).
func Vote(c Case, kind, actor, comment string) *Refusal {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return refuse(RuleActor, cards.ErrInvalidDecision, "%s needs an actor: the name of who decides", kind)
	}
	if !slices.Contains(Kinds, kind) {
		return refuse(RuleKind, cards.ErrInvalidDecision, "unknown decision %q", kind)
	}
	if actor == c.HolderID {
		return refuse(RuleHolder, cards.ErrNotAllowed, "%s is the user this card is for and cannot %s it", actor, kind)
	}
	if actor == c.RequestedBy {
		if kind == Reject && c.Operation == "request" {
			return refuse(RuleRequester, cards.ErrNotAllowed, "%s requested this card and cannot reject it; use cancel to withdraw it", actor)
		}
		return refuse(RuleRequester, cards.ErrNotAllowed, "%s requested %s and cannot %s it", actor, c.subject(), kind)
	}
	switch kind {
	case Approve:
		if slices.Contains(c.Approved, actor) {
			return refuse(RuleAlreadyApproved, cards.ErrNotAllowed, "%s already approved %s; another approver is needed", actor, c.subject())
		}
	case Reject:
		if strings.TrimSpace(comment) == "" {
			return refuse(RuleReason, cards.ErrInvalidDecision, "a rejection needs a reason in the comment")
		}
	}
	return nil
}

// Approver checks the directory's part, as the directory is when the
// decision arrives: the actor (u, nil when not in the directory) must be
// an active user holding the approver role, and neither the requester nor
// the card's holder.
func Approver(c Case, kind, actor string, u *cards.User) *Refusal {
	what := c.CardType + " cards"
	if c.Operation != "" && c.Operation != "request" {
		what = c.Operation + "s of " + c.CardType + " cards"
	}
	switch {
	case actor == c.RequestedBy:
		return refuse(RuleRequester, cards.ErrNotAllowed, "%s requested %s and cannot %s it", actor, c.subject(), kind)
	case actor == c.HolderID:
		return refuse(RuleHolder, cards.ErrNotAllowed, "%s is the user this card is for and cannot %s it", actor, kind)
	case u == nil:
		return refuse(RuleUnknownUser, cards.ErrNotAllowed, "%s is not a user of the directory: only active users holding role %q may %s %s", actor, c.ApproverRole, kind, what)
	case !u.Active():
		return refuse(RuleInactive, cards.ErrNotAllowed, "%s is %q in the directory: only active users may %s cards", actor, u.State, kind)
	case !u.HasRole(c.ApproverRole):
		return refuse(RuleRole, cards.ErrNotAllowed, "%s does not hold role %q, which is required to %s %s", actor, c.ApproverRole, kind, what)
	}
	return nil
}

// MayDecide is the whole rule set for a person looking at an open
// approval (the console's buttons, the Inbox): the directory's rules and,
// for kind, the vote's, with the comment not yet known (a rejection's
// reason is asked for on the form).
func MayDecide(c Case, kind string, u cards.User) *Refusal {
	if r := Approver(c, kind, u.ID, &u); r != nil {
		return r
	}
	if r := Vote(c, kind, u.ID, "-"); r != nil {
		return r
	}
	return nil
}

// MayBeAsked reports whether u is asked to decide c by e-mail: the
// approvers who may approve it now (for a reminder, those who have not
// approved yet: c.Approved).
func MayBeAsked(c Case, u cards.User) bool {
	return MayDecide(c, Approve, u) == nil
}
