package notify

import (
	"context"
	"slices"
	"strings"

	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// recipient is one person to mail; skip says why nothing can be sent.
type recipient struct {
	ID    string
	Name  string
	Email string
	skip  string
}

// directoryNames maps user ids to display names for the message bodies.
type directoryNames map[string]string

// of returns the display name of id, or id itself when the directory has
// no name for it (a departed user, the system actor).
func (n directoryNames) of(id string) string {
	if name := n[id]; name != "" {
		return name
	}
	return id
}

func displayName(u cards.User) string {
	if name := strings.TrimSpace(u.GivenName + " " + u.Surname); name != "" {
		return name
	}
	return u.ID
}

// recipients reads the directory as it is now, in one statement: for
// requested and reminder, every active user holding the approver role who
// is neither the requester nor the card's user (nor, for a reminder, an
// approver who acted); for decided, the requester and the card's user; for
// issued and activated, the card's holder. It also returns the display
// names the bodies mention.
func (s *Service) recipients(ctx context.Context, in cards.NotifyInput) ([]recipient, directoryNames, error) {
	mentioned := append([]string{in.RequestedBy, in.UserID}, in.Acted...)
	if in.Decision != nil {
		mentioned = append(mentioned, in.Decision.Actor)
	}
	var out []recipient
	var users map[string]cards.User
	switch cards.NotifyKind(in.Event) {
	case cards.NotifyOrderWaiting, cards.NotifyOrderCompleted:
		// The operator who started the order, alone.
		named, err := s.store.Users(ctx, in.RequestedBy)
		if err != nil {
			return nil, nil, err
		}
		users = named
		if u, ok := users[in.RequestedBy]; ok {
			out = append(out, recipient{ID: u.ID, Name: displayName(u), Email: u.Email})
		} else {
			out = append(out, recipient{ID: in.RequestedBy, Name: in.RequestedBy, skip: "not in the directory"})
		}
	case cards.NotifyRequested, cards.NotifyReminder:
		role := in.ApproverRole
		if role == "" {
			role = policy.DefaultApproverRole
		}
		approvers, named, err := s.store.ApproversAndUsers(ctx, role, mentioned...)
		if err != nil {
			return nil, nil, err
		}
		users = named
		// The one rule set: who may decide it now (for a reminder, who
		// has not approved yet). The query found the active holders of
		// the role; the rules have the last word.
		c := approvalrules.Case{Operation: in.Operation, RequestedBy: in.RequestedBy, HolderID: in.UserID, CardType: in.CardType, ApproverRole: role}
		if in.Event == cards.NotifyReminder {
			c.Approved = in.Acted
		}
		for _, u := range approvers {
			if !u.HasRole(role) {
				u.Roles = append(slices.Clone(u.Roles), role)
			}
			if !approvalrules.MayBeAsked(c, u) {
				continue
			}
			out = append(out, recipient{ID: u.ID, Name: displayName(u), Email: u.Email})
		}
	case cards.NotifyDecided, cards.NotifyIssued, cards.NotifyActivated, cards.NotifyReactivated, cards.NotifyLocked, cards.NotifyExpiring, cards.NotifyExpired:
		ids := []string{in.RequestedBy}
		if in.UserID != in.RequestedBy {
			ids = append(ids, in.UserID)
		}
		if in.OperationVerb() != "" {
			// An operation's approval: the requester is told the
			// outcome; what the holder hears is the operation's own.
			ids = []string{in.RequestedBy}
		}
		if cards.IsHolderEvent(in.Event) {
			// What the holder does next (collect the card, wait for
			// the PIN, use it) is theirs alone.
			ids = []string{in.UserID}
		}
		var err error
		if users, err = s.store.Users(ctx, mentioned...); err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			u, ok := users[id]
			if !ok {
				out = append(out, recipient{ID: id, Name: id, skip: "not in the directory"})
				continue
			}
			out = append(out, recipient{ID: id, Name: displayName(u), Email: u.Email})
		}
	}
	for i := range out {
		if out[i].skip == "" && strings.TrimSpace(out[i].Email) == "" {
			out[i].skip = "no e-mail address in the directory"
		}
	}
	names := directoryNames{}
	for id, u := range users {
		names[id] = displayName(u)
	}
	return out, names, nil
}
