package requestcard_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// Input limits: an update over a limit is refused with InvalidInput, a
// signal over a limit is ignored with a short reason, and either way the
// card stays healthy: its status small, a valid decision still works.

var limitCases = []struct {
	name, actor, comment string
	over                 bool
}{
	{name: "comment just under", actor: "alice", comment: strings.Repeat("é", limits.MaxComment)},
	{name: "comment just over", actor: "alice", comment: strings.Repeat("é", limits.MaxComment+1), over: true},
	{name: "comment of a megabyte", actor: "alice", comment: strings.Repeat("x", 1<<20), over: true},
	{name: "comment with NUL", actor: "alice", comment: "a\x00b", over: true},
	{name: "actor just under", actor: strings.Repeat("a", limits.MaxIdentifier)},
	{name: "actor just over", actor: strings.Repeat("a", limits.MaxIdentifier+1), over: true},
	{name: "actor of a megabyte", actor: strings.Repeat("a", 1<<20), over: true},
	{name: "actor with a space", actor: "al ice", over: true},
}

func TestUpdatesOverALimitAreRefusedWithInvalidInput(t *testing.T) {
	for _, tc := range limitCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			var u *sent
			f.at(time.Minute, func() { u = f.decide(cards.Approve, tc.actor, tc.comment) })
			f.at(2*time.Minute, func() { f.signal(cards.Cancel, "olivia", "done testing") })
			s, err := f.run()
			require.NoError(t, err)
			if !tc.over {
				requireDone(t, u)
				require.Equal(t, cards.StateApproved, s.State)
				return
			}
			requireRefused(t, u, cards.ErrInvalidInput)
			require.Less(t, len(u.err.Error()), 200, "the refusal names the rule, not the value")
			require.Empty(t, f.authorized, "nothing is read for a refused update")
			require.Equal(t, cards.StateAborted, s.State, "the card stayed requested until the requester withdrew it")
		})
	}
}

func TestSignalsOverALimitAreIgnoredAndTheCardStaysHealthy(t *testing.T) {
	for _, tc := range limitCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2)
			var after cards.Status
			f.at(time.Minute, func() { f.signal(cards.Approve, tc.actor, tc.comment) })
			f.at(2*time.Minute, func() { after = f.query() })
			var u1, u2 *sent
			f.at(3*time.Minute, func() { u1 = f.decide(cards.Approve, "bob", "fine") })
			f.at(4*time.Minute, func() { u2 = f.decide(cards.Approve, "carol", "fine too") })
			s, err := f.run()
			require.NoError(t, err)
			if !tc.over {
				require.Len(t, after.Approvals, 1)
				require.Empty(t, after.Ignored)
				requireDone(t, u1)
				require.Nil(t, u2, "two approvals were enough: the workflow ended")
				require.Equal(t, cards.StateApproved, s.State)
				return
			}
			require.Empty(t, after.Approvals)
			require.Len(t, after.Ignored, 1)
			ignored := after.Ignored[0]
			require.Equal(t, cards.Approve, ignored.Signal)
			require.Contains(t, ignored.Reason, cards.ErrInvalidInput)
			require.LessOrEqual(t, len(ignored.Actor), limits.MaxIdentifier, "an oversized actor is not kept")
			raw, _ := json.Marshal(after)
			require.Less(t, len(raw), 4096, "the status stays small")
			requireDone(t, u1)
			requireDone(t, u2)
			require.Equal(t, cards.StateApproved, s.State, "valid decisions still work")
			require.Equal(t, []string{"bob", "carol"}, f.authorized)
		})
	}
}

// TestJunkSignalsNeverGrowTheStatus sends many oversized and unknown
// signals: the ignored list keeps the latest, counts the rest, and the
// status stays a few KB.
func TestJunkSignalsNeverGrowTheStatus(t *testing.T) {
	f := newFixture(t, 1)
	big := strings.Repeat("a", 1<<20)
	for i := range 60 {
		f.at(time.Duration(i+1)*time.Second, func() { f.signal(cards.Approve, big, big) })
	}
	var after cards.Status
	f.at(2*time.Minute, func() { after = f.query() })
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)
	require.Len(t, after.Ignored, 50)
	require.Equal(t, 10, after.IgnoredDropped)
	raw, _ := json.Marshal(after)
	require.Less(t, len(raw), 16<<10, "the status stays small: %d bytes", len(raw))
	require.Equal(t, cards.StateApproved, s.State)
}

// TestUnknownSignalsAreRecorded: a signal under a name the workflow does
// not take is listed among the ignored signals, at once in the status
// query and for good once the workflow handles its signals.
func TestUnknownSignalsAreRecorded(t *testing.T) {
	f := newFixture(t, 1)
	f.at(time.Minute, func() { f.env.SignalWorkflow("aprove", cards.DecisionInput{Actor: "alice"}) })
	var waiting cards.Status
	f.at(2*time.Minute, func() { waiting = f.query() })
	f.at(3*time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
	s, err := f.run()
	require.NoError(t, err)
	want := cards.Ignored{Signal: "aprove", Reason: "unknown signal; this workflow takes approve, reject, cancel"}
	require.Equal(t, []cards.Ignored{want}, waiting.Ignored)
	require.Equal(t, []cards.Ignored{want}, s.Ignored)
	require.Equal(t, cards.StateApproved, s.State)
}
