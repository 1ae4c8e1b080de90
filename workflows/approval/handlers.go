package approval

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/approvalrules"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/limits"
)

var descriptions = map[string]string{
	ApproveUpdate:  `Approve. Payload {"actor": "<approver>", "comment": "<text>"}; not the requester nor the card's holder; each approver counts once.`,
	RejectUpdate:   `Reject. Payload {"actor": "<approver>", "comment": "<reason>"}; a reason is required.`,
	PostponeUpdate: `Postpone: the approval stays in your Inbox, marked, with the comment; nothing else changes. Payload {"actor": "<approver>", "comment": "<text>"}.`,
}

func refuse(errType, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), errType)
}

// register sets the update of one vote kind. The payload is taken raw so
// that the validator sees how it arrived (one sent in clear while the
// worker requires encryption is refused).
func (p *Process) register(ctx workflow.Context, kind string) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, kind, func(ctx workflow.Context, raw converter.RawValue) (any, error) {
		d, err := decode(raw)
		if err == nil {
			err = p.vote(ctx, kind, d, workflow.GetCurrentUpdateInfo(ctx).ID)
		}
		return p.answer(), err
	}, workflow.UpdateHandlerOptions{
		Validator: func(_ workflow.Context, raw converter.RawValue) error {
			if codec.RefusedPlaintext(raw.Payload()) {
				return refuse(codec.PlaintextRefusedType, "%s", codec.PlaintextRefusal)
			}
			d, err := decode(raw)
			if err != nil {
				return err
			}
			if err := checkLimits(d); err != nil {
				return err
			}
			return p.check(kind, d)
		},
		Description: descriptions[kind],
	})
}

func (p *Process) answer() any {
	if p.opts.Answer != nil {
		return p.opts.Answer()
	}
	return p.Status()
}

// vote runs a vote through the whole rule set and applies it; a deciding
// vote answers once the outcome is written (Options.Settled).
func (p *Process) vote(ctx workflow.Context, kind string, d cards.DecisionInput, token string) error {
	if err := p.check(kind, d); err != nil {
		return err
	}
	if err := p.authorize(ctx, kind, d); err != nil {
		return err
	}
	p.apply(ctx, kind, d, token)
	if kind == PostponeUpdate || p.outcome == nil {
		return nil
	}
	waitCtx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if err := workflow.Await(waitCtx, func() bool {
		if p.opts.Settled != nil {
			return p.opts.Settled()
		}
		return p.closed
	}); err != nil {
		return err
	}
	if p.opts.Failed != nil {
		return p.opts.Failed()
	}
	return nil
}

// decode reads a vote's payload, or says what it should be.
func decode(raw converter.RawValue) (cards.DecisionInput, error) {
	var d cards.DecisionInput
	if err := converter.GetDefaultDataConverter().FromPayload(raw.Payload(), &d); err != nil {
		return d, refuse(cards.ErrInvalidDecision, `payload is not {"actor": "...", "comment": "..."}: %v`, err)
	}
	return d, nil
}

// checkLimits refuses an actor or comment over the input limits, naming
// the rule, never the value.
func checkLimits(d cards.DecisionInput) error {
	if actor := strings.TrimSpace(d.Actor); actor != "" {
		if err := limits.Identifier("actor", actor); err != nil {
			return refuse(cards.ErrInvalidInput, "%s", err.Error())
		}
	}
	if err := limits.Comment("comment", d.Comment); err != nil {
		return refuse(cards.ErrInvalidInput, "%s", err.Error())
	}
	return nil
}

// signalsPending reports whether a vote signal waits (Options.Signals).
func (p *Process) signalsPending(ctx workflow.Context) bool {
	if !p.opts.Signals {
		return false
	}
	for _, kind := range approvalrules.Kinds {
		if workflow.GetSignalChannel(ctx, kind).Len() > 0 {
			return true
		}
	}
	return false
}

// handleSignals takes the vote signals received so far, in the order of
// the kinds; one that breaks a rule is passed to Options.Ignored.
func (p *Process) handleSignals(ctx workflow.Context) {
	if !p.opts.Signals {
		return
	}
	for _, kind := range approvalrules.Kinds {
		ch := workflow.GetSignalChannel(ctx, kind)
		var raw converter.RawValue
		for ch.ReceiveAsync(&raw) {
			p.signals++
			p.onSignal(ctx, kind, raw, fmt.Sprintf("signal-%d", p.signals))
		}
	}
}

func (p *Process) onSignal(ctx workflow.Context, kind string, raw converter.RawValue, token string) {
	d, err := decode(raw)
	if err == nil {
		err = checkLimits(d)
	}
	if err == nil && p.opts.RequireEncryption && codec.ArrivedInClear(raw.Payload()) {
		err = refuse(codec.PlaintextRefusedType, "%s", codec.PlaintextRefusal)
	}
	if err == nil {
		err = p.check(kind, d)
	}
	if err == nil {
		err = p.authorize(ctx, kind, d)
	}
	if err != nil {
		if p.opts.Ignored != nil {
			p.opts.Ignored(ctx, kind, d.Actor, reasonOf(err))
		}
		return
	}
	p.apply(ctx, kind, d, token)
}

// reasonOf is a refusal as an ignored signal records it: type and message.
func reasonOf(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type() + ": " + appErr.Message()
	}
	return err.Error()
}
