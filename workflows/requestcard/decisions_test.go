package requestcard_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cardflow/cardflow/internal/cards"
)

// The decision rules: what an update's validator refuses, what a signal
// that breaks a rule leaves in the status, and the directory's say on who
// may decide, read when each decision arrives.

// TestUpdatesRefusedByTheValidator checks every rule of the validator; a
// refused update changes nothing and is not recorded among ignored signals.
func TestUpdatesRefusedByTheValidator(t *testing.T) {
	for _, tc := range []struct {
		name, kind, actor, comment string
		want                       string
		approversRequired          int
		firstApproval              string // an approval signalled before the update
	}{
		{name: "empty actor approves", kind: cards.Approve, actor: "", want: cards.ErrInvalidDecision},
		{name: "blank actor rejects", kind: cards.Reject, actor: "  ", comment: "why", want: cards.ErrInvalidDecision},
		{name: "empty actor cancels", kind: cards.Cancel, actor: "", want: cards.ErrInvalidDecision},
		{name: "requester approves", kind: cards.Approve, actor: "olivia", want: cards.ErrNotAllowed},
		{name: "requester rejects", kind: cards.Reject, actor: "olivia", comment: "oops", want: cards.ErrNotAllowed},
		{name: "same approver twice", kind: cards.Approve, actor: "alice", approversRequired: 2, firstApproval: "alice", want: cards.ErrNotAllowed},
		{name: "same approver twice with spaces", kind: cards.Approve, actor: " alice", approversRequired: 2, firstApproval: "alice", want: cards.ErrNotAllowed},
		{name: "reject without comment", kind: cards.Reject, actor: "alice", want: cards.ErrInvalidDecision},
		{name: "reject with blank comment", kind: cards.Reject, actor: "alice", comment: " \t", want: cards.ErrInvalidDecision},
		{name: "cancel by another", kind: cards.Cancel, actor: "mallory", want: cards.ErrNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			required := tc.approversRequired
			if required == 0 {
				required = 1
			}
			f := newFixture(t, required)
			if tc.firstApproval != "" {
				f.at(time.Minute, func() { f.signal(cards.Approve, tc.firstApproval, "") })
			}
			var u *sent
			var after cards.Status
			f.at(2*time.Minute, func() { u = f.decide(tc.kind, tc.actor, tc.comment) })
			f.at(3*time.Minute, func() { after = f.query() })
			// End the request: the requester withdraws it.
			f.at(4*time.Minute, func() { f.signal(cards.Cancel, "olivia", "done testing") })
			s, err := f.run()
			require.NoError(t, err)

			requireRefused(t, u, tc.want)
			require.Equal(t, cards.StateRequested, after.State, "a refused update changes nothing")
			if tc.firstApproval != "" {
				require.Len(t, after.Approvals, 1)
			} else {
				require.Empty(t, after.Approvals)
			}
			require.Empty(t, after.Ignored, "refused updates are answered, not recorded as ignored")
			require.Equal(t, cards.StateAborted, s.State)
			require.Len(t, f.transitions, 1)
			require.Equal(t, "olivia", f.transitions[0].Actor)
		})
	}
}

// TestSignalsBreakingARuleAreIgnoredAndRecorded is the signal twin of the
// validator test: the workflow does not fail, the card stays requested and
// the reason is kept in the status.
func TestSignalsBreakingARuleAreIgnoredAndRecorded(t *testing.T) {
	for _, tc := range []struct {
		name, kind        string
		payload           any
		actor             string
		reason            string
		approversRequired int
		firstApproval     string
	}{
		{name: "empty actor", kind: cards.Approve, payload: cards.DecisionInput{Comment: "x"}, reason: "InvalidDecision: approve needs an actor"},
		{name: "null payload", kind: cards.Approve, payload: nil, reason: "InvalidDecision: approve needs an actor"},
		{name: "requester approves", kind: cards.Approve, payload: cards.DecisionInput{Actor: "olivia"}, actor: "olivia", reason: "NotAllowed: olivia requested this card and cannot approve it"},
		{name: "requester rejects", kind: cards.Reject, payload: cards.DecisionInput{Actor: "olivia", Comment: "x"}, actor: "olivia", reason: "NotAllowed: olivia requested this card"},
		{name: "same approver twice", kind: cards.Approve, payload: cards.DecisionInput{Actor: "alice"}, actor: "alice", approversRequired: 2, firstApproval: "alice", reason: "NotAllowed: alice already approved this card"},
		{name: "reject without comment", kind: cards.Reject, payload: cards.DecisionInput{Actor: "alice"}, actor: "alice", reason: "InvalidDecision: a rejection needs a reason"},
		{name: "cancel by another", kind: cards.Cancel, payload: cards.DecisionInput{Actor: "mallory"}, actor: "mallory", reason: "NotAllowed: only the requester (olivia) may cancel this request, not mallory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			required := tc.approversRequired
			if required == 0 {
				required = 1
			}
			f := newFixture(t, required)
			if tc.firstApproval != "" {
				f.at(time.Minute, func() { f.signal(cards.Approve, tc.firstApproval, "") })
			}
			var after cards.Status
			f.at(2*time.Minute, func() { f.env.SignalWorkflow(tc.kind, tc.payload) })
			f.at(3*time.Minute, func() { after = f.query() })
			f.at(4*time.Minute, func() { f.signal(cards.Cancel, "olivia", "") })
			s, err := f.run()
			require.NoError(t, err, "an invalid signal never fails the workflow")

			require.Equal(t, cards.StateRequested, after.State)
			require.Len(t, after.Ignored, 1)
			ig := after.Ignored[0]
			require.Equal(t, tc.kind, ig.Signal)
			require.Equal(t, tc.actor, ig.Actor)
			require.True(t, strings.HasPrefix(ig.Reason, tc.reason), "reason %q, want prefix %q", ig.Reason, tc.reason)
			if tc.firstApproval != "" {
				require.Len(t, after.Approvals, 1, "the repeated approval does not count")
			} else {
				require.Empty(t, after.Approvals)
			}

			require.Equal(t, cards.StateAborted, s.State)
			require.Len(t, s.Ignored, 1, "the result keeps the ignored signal")
			require.Len(t, f.transitions, 1, "only the requester's cancel is written")
			require.Equal(t, "cancelled by the requester", f.transitions[0].Comment)
		})
	}
}

// TestDecisionsOnceFinalAreRefused: once a decision is taken, updates are
// refused with AlreadyDecided, signals are ignored with that reason, and
// nothing else is written.
func TestDecisionsOnceFinalAreRefused(t *testing.T) {
	// In the same instant as the deciding message, after it. That message is
	// the requester's cancel, which needs no directory read and so takes
	// effect at once (an approval or rejection waits for its directory
	// check, and a cancel arriving meanwhile overtakes it).
	t.Run("same instant", func(t *testing.T) {
		f := newFixture(t, 1)
		var approve, reject *sent
		f.at(time.Minute, func() {
			f.signal(cards.Cancel, "olivia", "")
			approve = f.decide(cards.Approve, "bob", "")
			reject = f.decide(cards.Reject, "alice", "no budget")
			f.signal(cards.Reject, "alice", "no budget")
			f.signal(cards.Approve, "bob", "")
		})
		s, err := f.run()
		require.NoError(t, err)

		requireRefusedOrFailed(t, approve, cards.ErrAlreadyDecided)
		require.Contains(t, approve.err.Error(), "already aborted")
		requireRefusedOrFailed(t, reject, cards.ErrAlreadyDecided)
		require.Equal(t, cards.StateAborted, s.State)
		require.Len(t, f.transitions, 1)
		require.Len(t, s.Ignored, 2)
		for _, ig := range s.Ignored {
			require.True(t, strings.HasPrefix(ig.Reason, "AlreadyDecided: the card is already aborted"), ig.Reason)
		}
		require.Empty(t, f.authorized, "no directory read for decisions after the end")
	})
	// While the decision is being written (TransitionCard takes a minute):
	// a late update is refused, a late signal drained and recorded.
	t.Run("while the decision is written", func(t *testing.T) {
		f := newFixture(t, 1)
		var late *sent
		f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
		f.transitionCall.After(time.Minute)
		f.at(time.Minute+time.Second, func() {
			late = f.decide(cards.Reject, "bob", "too late")
			f.signal(cards.Approve, "carl", "")
		})
		s, err := f.run()
		require.NoError(t, err)

		requireRefusedOrFailed(t, late, cards.ErrAlreadyDecided)
		require.Equal(t, cards.StateApproved, s.State)
		require.Len(t, s.Ignored, 1, "the late signal is drained and recorded")
		require.Equal(t, "carl", s.Ignored[0].Actor)
		require.Len(t, f.transitions, 1)
	})
}

func TestBadSignalPayloadsAreIgnored(t *testing.T) {
	plain := func(encoding, data string) converter.RawValue {
		return converter.NewRawValue(&commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(encoding)}, Data: []byte(data)})
	}
	stringPayload, err := converter.GetDefaultDataConverter().ToPayload("not an object")
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		payload converter.RawValue
	}{
		{"a JSON string", converter.NewRawValue(stringPayload)},
		{"garbage json/plain", plain("json/plain", "{actor: ")},
		{"a JSON array", plain("json/plain", `["alice"]`)},
		{"unknown encoding", plain("binary/x-custom", "alice")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			var after cards.Status
			f.at(time.Minute, func() { f.env.SignalWorkflow(cards.Approve, tc.payload) })
			f.at(2*time.Minute, func() { after = f.query() })
			f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
			s, err := f.run()
			require.NoError(t, err)

			require.Equal(t, cards.StateRequested, after.State)
			require.Empty(t, after.Approvals)
			require.Len(t, after.Ignored, 1)
			require.Equal(t, cards.Approve, after.Ignored[0].Signal)
			require.Contains(t, after.Ignored[0].Reason, "payload is not")
			require.Equal(t, cards.StateApproved, s.State, "the workflow goes on after a bad payload")
			require.Len(t, s.Ignored, 1)
		})
	}
}

func TestIgnoredListIsBounded(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() {
		for i := range 60 {
			f.signal(cards.Cancel, fmt.Sprintf("intruder-%02d", i), "")
		}
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 50, "the ignored list keeps the latest 50")
	require.Equal(t, "intruder-10", s.Ignored[0].Actor, "the oldest entries are dropped")
	require.Equal(t, "intruder-59", s.Ignored[len(s.Ignored)-1].Actor, "the newest entry is kept")
}

// Signals that arrive while the card is being written wait for it, then
// count: nothing is lost for arriving early.
func TestSignalBeforeTheCardIsWrittenCountsOnceItIs(t *testing.T) {
	f := newFixture(t, 1)
	f.persistCall.After(time.Minute)
	f.at(time.Second, func() { f.signal(cards.Approve, "alice", "early") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 1)
	require.Equal(t, "early", s.Approvals[0].Comment)
	require.Empty(t, s.Ignored)
}

// TestSignalArrivingWithTheFinalWriteIsRecorded delivers a signal in the same
// workflow task as TransitionCard's result, after which the workflow returns
// at once: the signal is drained and recorded, not lost.
func TestSignalArrivingWithTheFinalWriteIsRecorded(t *testing.T) {
	f := newFixture(t, 1)
	f.onTransition = func() {
		f.env.SignalWorkflowSkippingWorkflowTask(cards.Reject, cards.DecisionInput{Actor: "carl", Comment: "too late"})
	}
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Ignored, 1, "the late signal is in the result")
	require.Equal(t, "carl", s.Ignored[0].Actor)
	require.Equal(t, cards.Reject, s.Ignored[0].Signal)
	require.True(t, strings.HasPrefix(s.Ignored[0].Reason, "AlreadyDecided: the card is already approved"), s.Ignored[0].Reason)
}

func TestApproverRefusedByTheDirectory(t *testing.T) {
	f := newFixture(t, 1)
	f.authorizeErr = map[string]error{
		"mallory": notAllowed("mallory is not a user of the directory"),
		"bob":     notAllowed(`bob does not hold role "approver"`),
	}
	var byUpdate *sent
	f.at(time.Minute, func() { byUpdate = f.decide(cards.Approve, "mallory", "I say so") })
	f.at(2*time.Minute, func() { f.signal(cards.Reject, "bob", "no") })
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)

	require.True(t, byUpdate.accepted && byUpdate.completed, "the validator cannot read the directory: the handler refuses")
	require.Equal(t, cards.ErrNotAllowed, errType(byUpdate.err))
	require.Contains(t, byUpdate.err.Error(), "not a user of the directory")
	require.Len(t, s.Ignored, 1)
	require.Equal(t, "bob", s.Ignored[0].Actor)
	require.Equal(t, `NotAllowed: bob does not hold role "approver"`, s.Ignored[0].Reason)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 1)
	require.Equal(t, "alice", s.Approvals[0].Actor, "refused approvers are not counted")
	require.Equal(t, []string{"mallory", "bob", "alice"}, f.authorized)
}

func TestCardsOwnUserCannotDecide(t *testing.T) {
	f := newFixture(t, 1)
	var approve *sent
	f.at(time.Minute, func() {
		approve = f.decide(cards.Approve, "u1", "my own card")
		f.signal(cards.Reject, "u1", "mine")
	})
	f.at(2*time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	s, err := f.run()
	require.NoError(t, err)
	requireRefused(t, approve, cards.ErrNotAllowed)
	require.Contains(t, approve.err.Error(), "the user this card is for")
	require.Len(t, s.Ignored, 1)
	require.Contains(t, s.Ignored[0].Reason, "the user this card is for")
	require.Equal(t, []string{"alice"}, f.authorized, "the cheap rule refuses before any directory read")
}

// A role removed after the request no longer counts: the directory is read
// when each decision arrives.
func TestRoleRemovedAfterTheRequestNoLongerCounts(t *testing.T) {
	f := newFixture(t, 2)
	var second *sent
	f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "") })
	f.at(2*time.Minute, func() {
		f.authorizeErr = map[string]error{"bob": notAllowed(`bob does not hold role "approver"`)}
		second = f.decide(cards.Approve, "bob", "")
	})
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "carl", "") })
	s, err := f.run()
	require.NoError(t, err)
	require.Equal(t, cards.ErrNotAllowed, errType(second.err))
	require.Equal(t, cards.StateApproved, s.State)
	require.Equal(t, []string{"alice", "carl"}, []string{s.Approvals[0].Actor, s.Approvals[1].Actor})
}
