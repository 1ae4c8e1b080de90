package requestcard_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
)

// requireEncryption gives the fixture's environment the worker's codec with
// CARDS_CODEC_REQUIRE on: with keys the test's own signals and updates
// arrive encrypted, without them in clear.
func (f *fixture) requireEncryption(keys ...codec.Key) {
	c, err := codec.New(keys)
	require.NoError(f.t, err)
	c.RequireEncryption()
	f.env.SetDataConverter(codec.DataConverter(c))
	f.policy.RequireEncryption = true
}

// markPlaintext gives the environment the worker's codec with
// CARDS_CODEC_REQUIRE off, and the policy says what the history recorded.
func (f *fixture) markPlaintext(recordedRequire bool) {
	c, err := codec.New(nil)
	require.NoError(f.t, err)
	c.MarkPlaintext()
	f.env.SetDataConverter(codec.DataConverter(c))
	f.policy.RequireEncryption = recordedRequire
}

// A decision sent in clear to a worker that requires encryption is refused
// (update) or ignored with the reason in the status (signal), before anyone
// is asked whether the actor may decide; the card waits on and times out.
func TestPlaintextDecisionsRefusedWhenEncryptionRequired(t *testing.T) {
	f := newFixture(t, 1)
	f.requireEncryption()
	var update *sent
	f.at(time.Minute, func() {
		f.signal(cards.Approve, "alice", "ok")
		update = f.decide(cards.Approve, "bernard", "ok")
	})
	s, err := f.run()
	require.NoError(t, err)
	requireRefused(t, update, codec.PlaintextRefusedType)
	require.Contains(t, update.err.Error(), "CARDS_CODEC_REQUIRE")
	require.Equal(t, cards.StateAborted, s.State, "no decision was taken: the approval timed out")
	require.Empty(t, s.Approvals)
	require.Len(t, s.Ignored, 1)
	require.Equal(t, cards.Ignored{Signal: cards.Approve, Actor: "alice", Reason: codec.PlaintextRefusedType + ": " + codec.PlaintextRefusal}, s.Ignored[0])
	require.Empty(t, f.authorized, "a refused payload is not authorized")
}

// Encrypted decisions pass as before.
func TestEncryptedDecisionsPassWhenEncryptionRequired(t *testing.T) {
	f := newFixture(t, 2)
	f.requireEncryption(codec.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, codec.KeySize)})
	var update *sent
	f.at(time.Minute, func() {
		f.signal(cards.Approve, "alice", "ok")
		update = f.decide(cards.Approve, "bernard", "ok")
	})
	s, err := f.run()
	require.NoError(t, err)
	requireDone(t, update)
	require.Equal(t, cards.StateApproved, s.State)
	require.Len(t, s.Approvals, 2)
	require.Empty(t, s.Ignored)
}

// Whether a plaintext signal is ignored follows the policy the history
// recorded, not the replaying worker's CARDS_CODEC_REQUIRE: a request
// started with the setting on keeps ignoring plaintext signals on a worker
// that has it off (and one started with it off keeps applying them), so
// changing the setting never makes a replay take another path.
func TestPlaintextSignalFollowsTheRecordedSetting(t *testing.T) {
	for _, recorded := range []bool{true, false} {
		f := newFixture(t, 1)
		f.markPlaintext(recorded)
		f.at(time.Minute, func() { f.signal(cards.Approve, "alice", "ok") })
		s, err := f.run()
		require.NoError(t, err)
		if recorded {
			require.Equal(t, cards.StateAborted, s.State, "recorded require: the plaintext signal is ignored")
			require.Len(t, s.Ignored, 1)
			require.Contains(t, s.Ignored[0].Reason, codec.PlaintextRefusedType)
		} else {
			require.Equal(t, cards.StateApproved, s.State, "recorded no require: the plaintext signal counts")
			require.Empty(t, s.Ignored)
		}
	}
}
