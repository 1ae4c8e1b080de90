// Package cardview completes a card's status document with what PostgreSQL,
// the system of record, knows of the card after its request: its state
// now, its number, validity and certificates, and the approval open on it.
// The starter's status and the console's card page both use it, so they
// never disagree.
package cardview

import (
	"context"
	"sort"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// AddLifecycle sets s's state, card number, validity, certificates and
// open approval from the stored card c.
func AddLifecycle(ctx context.Context, st *store.Store, c store.Card, s *cards.Status) error {
	_, err := Complete(ctx, st, c, s)
	return err
}

// Complete is AddLifecycle that also returns the card's approvals with
// their votes, newest first (store.ApprovalTrail): the console's card page
// shows the closed ones too, and reads them once.
func Complete(ctx context.Context, st *store.Store, c store.Card, s *cards.Status) ([]store.ApprovalRecord, error) {
	s.State = c.State
	s.CardNumber, s.ValidUntil = c.CardNumber, c.ValidUntil
	certs, err := st.Certificates(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if c.State == cards.StateFailed {
		events, err := st.Events(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if e.Transition == activities.EventFail {
				s.FailureReason = e.Comment
			}
		}
	}
	s.Certificates = nil
	for _, cert := range certs {
		s.Certificates = append(s.Certificates, cards.Certificate{Usage: string(cert.Usage), Serial: cert.Serial, Status: string(cert.Status)})
	}
	trail, err := st.ApprovalTrail(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	s.Approval = nil
	if open := OpenOf(trail); open != nil {
		s.Approval = OpenApproval(*open)
	}
	return trail, nil
}

// OpenOf returns the open approval of a card's trail, nil when none waits
// (a card has one open at a time).
func OpenOf(trail []store.ApprovalRecord) *store.ApprovalRecord {
	for i := range trail {
		if trail[i].Open() {
			return &trail[i]
		}
	}
	return nil
}

// OpenApproval is r as the status document shows it: the approvals from
// their audit rows (with comment and time), any approver the row names
// without one after them, and each approver's latest postponement, oldest
// first.
func OpenApproval(r store.ApprovalRecord) *cards.OpenApproval {
	out := &cards.OpenApproval{
		Operation: r.Operation, WorkflowID: r.WorkflowID, ApprovalsRequired: r.ApprovalsRequired, Approvals: []cards.Approval{},
		ApproverRole: r.ApproverRole, RequestedBy: r.RequestedBy, OpenedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}
	seen := map[string]bool{}
	for _, v := range r.Votes {
		if v.Kind == approvalrules.Approve && !seen[v.Actor] {
			seen[v.Actor] = true
			out.Approvals = append(out.Approvals, cards.Approval{Actor: v.Actor, Comment: v.Comment, At: v.At})
		}
	}
	for _, name := range r.ApprovedBy {
		if !seen[name] {
			seen[name] = true
			out.Approvals = append(out.Approvals, cards.Approval{Actor: name})
		}
	}
	out.Postponed = Postponements(r.Postponed)
	return out
}

// Postponements lists each approver's latest postponement, oldest first
// (then by name, so that the order never depends on the map's).
func Postponements(p store.Postponements) []cards.Approval {
	if len(p) == 0 {
		return nil
	}
	out := make([]cards.Approval, 0, len(p))
	for actor, pp := range p {
		out = append(out, cards.Approval{Actor: actor, Comment: pp.Comment, At: pp.At})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Actor < out[j].Actor
	})
	return out
}
