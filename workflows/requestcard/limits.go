package requestcard

import (
	"slices"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// inputLimitsChangeID names the change point of the signal handler's limit
// check. Before it, an oversized decision signal was applied (and could
// make the status or the transition too large for Temporal); now it is
// ignored. GetVersion is called only when a signal breaks a limit, so
// histories without one record no marker and replay as before, and an
// execution that applied such a signal under the old code still replays.
const inputLimitsChangeID = "input-limits"

// checkLimits refuses a decision whose actor or comment breaks an input
// limit, with InvalidInput naming the field and the rule, never the value.
// Update validators run it (a refused update writes nothing); the update
// handler does not, so that accepted updates of old histories replay.
func checkLimits(d cards.DecisionInput) error {
	if err := limits.Identifier("actor", strings.TrimSpace(d.Actor)); err != nil && strings.TrimSpace(d.Actor) != "" {
		return refuse(cards.ErrInvalidInput, "%s", err.Error())
	}
	if err := limits.Comment("comment", d.Comment); err != nil {
		return refuse(cards.ErrInvalidInput, "%s", err.Error())
	}
	return nil
}

// ignoreOversized reports whether a decision signal that breaks a limit is
// to be ignored (new executions) rather than applied as before the change.
func ignoreOversized(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, inputLimitsChangeID, workflow.DefaultVersion, 1) >= 1
}

// maxReason bounds the reason kept for an ignored signal, in code points.
const maxReason = 300

// shortReason bounds a reason kept in the status.
func shortReason(reason string) string {
	if utf8.RuneCountInString(reason) <= maxReason {
		return reason
	}
	return string([]rune(reason)[:maxReason]) + "…"
}

// keptActor is the actor an ignored signal is recorded with: an actor that
// breaks the identifier limit is not kept (it may be a megabyte long).
func keptActor(actor string) string {
	actor = strings.TrimSpace(actor)
	if limits.Identifier("actor", actor) != nil {
		return ""
	}
	return actor
}

// handleUnknownSignals records signals sent under a name this workflow does
// not take (a typo such as "aprove"), which the SDK would otherwise buffer
// unseen: each is ignored with a reason naming the decisions it takes.
// Receiving writes no command, so replay is not affected.
func (r *request) handleUnknownSignals(ctx workflow.Context) {
	names := workflow.GetUnhandledSignalNames(ctx)
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(r.kinds(), name) {
			continue
		}
		ch := workflow.GetSignalChannel(ctx, name)
		var raw converter.RawValue
		for ch.ReceiveAsync(&raw) {
			r.ignore(ctx, shortName(name), "", unknownSignalReason)
		}
	}
}

var unknownSignalReason = "unknown signal; this workflow takes " + strings.Join(cards.DecisionKinds, ", ")

// withUnknownSignals adds to a status read by a query the unknown signals
// that wait to be recorded (the main coroutine records them when it next
// runs), one entry per name, so that a mistyped signal is seen at once.
func (r *request) withUnknownSignals(ctx workflow.Context, s cards.Status) cards.Status {
	names := workflow.GetUnhandledSignalNames(ctx)
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(r.kinds(), name) && len(s.Ignored) < maxIgnored+len(cards.DecisionKinds) {
			s.Ignored = append(s.Ignored, cards.Ignored{Signal: shortName(name), Reason: unknownSignalReason})
		}
	}
	return s
}

// shortName bounds a signal name kept in the status.
func shortName(name string) string {
	if utf8.RuneCountInString(name) <= limits.MaxIdentifier {
		return name
	}
	return string([]rune(name)[:limits.MaxIdentifier]) + "…"
}
