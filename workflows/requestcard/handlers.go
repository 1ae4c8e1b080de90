package requestcard

import (
	"errors"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/workflows/approval"
)

var decisionDescriptions = map[string]string{
	cards.Approve: `Approve the card. Payload {"actor": "<approver>", "comment": "<text>"}; the requester cannot approve; each approver counts once.`,
	cards.Reject:  `Reject the card. Payload {"actor": "<approver>", "comment": "<reason>"}; a reason is required.`,
	cards.Cancel:  `Withdraw the request. Payload {"actor": "<requester>", "comment": "<text>"}; only the requester may cancel.`,
	// Version 3: the shared approval process takes postpone.
	approval.PostponeUpdate: `Postpone: the card stays in your Inbox, marked, with the comment; nothing else changes. Payload {"actor": "<approver>", "comment": "<text>"}.`,
}

// setup registers every handler before the workflow does anything else, so
// that no query, signal or update that arrives early finds it deaf.
func (r *request) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, func() (cards.Status, error) {
		return r.withUnknownSignals(ctx, r.snapshot()), nil
	}, workflow.QueryHandlerOptions{Description: "The card request's status document: state, approvals, ignored signals."}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PersistedUpdate, func(ctx workflow.Context) (cards.Status, error) {
		if err := workflow.Await(ctx, func() bool { return r.persisted || r.refusal != nil || r.outcome != nil }); err != nil {
			return r.snapshot(), err
		}
		if r.refusal != nil {
			return r.snapshot(), r.refusal
		}
		return r.snapshot(), nil
	}, workflow.UpdateHandlerOptions{Description: "Answers once the card is persisted (requested or approved) or the request is refused."}); err != nil {
		return err
	}
	// Decision signals are only declared here (for their description): the
	// main coroutine handles them (awaitDecision, finish), so that no
	// coroutine of their own stays in memory per waiting card.
	for _, kind := range r.kinds() {
		if err := r.setDecisionUpdate(ctx, kind); err != nil {
			return err
		}
		workflow.GetSignalChannelWithOptions(ctx, kind, workflow.SignalChannelOptions{Description: decisionDescriptions[kind]})
	}
	return nil
}

// setDecisionUpdate registers the update of one decision kind. It takes the
// payload raw so that the validator sees how it arrived: one the worker's
// codec marked as sent in clear (CARDS_CODEC_REQUIRE) is refused. Only the
// validator refuses it; a replayed, accepted update is never validated again.
func (r *request) setDecisionUpdate(ctx workflow.Context, kind string) error {
	apply := r.decisionUpdate(kind)
	return workflow.SetUpdateHandlerWithOptions(ctx, kind, func(ctx workflow.Context, raw converter.RawValue) (cards.Status, error) {
		d, err := decodeDecision(raw)
		if err != nil {
			return r.snapshot(), err
		}
		return apply(ctx, d)
	}, workflow.UpdateHandlerOptions{
		Validator: func(_ workflow.Context, raw converter.RawValue) error {
			if codec.RefusedPlaintext(raw.Payload()) {
				return refuse(codec.PlaintextRefusedType, "%s", codec.PlaintextRefusal)
			}
			d, err := decodeDecision(raw)
			if err != nil {
				return err
			}
			if err := checkLimits(d); err != nil {
				return err
			}
			return r.check(kind, d)
		},
		Description: decisionDescriptions[kind],
	})
}

// decodeDecision reads a decision's payload, or says what it should be.
func decodeDecision(raw converter.RawValue) (cards.DecisionInput, error) {
	var d cards.DecisionInput
	if err := converter.GetDefaultDataConverter().FromPayload(raw.Payload(), &d); err != nil {
		return d, refuse(cards.ErrInvalidDecision, `payload is not {"actor": "...", "comment": "..."}: %v`, err)
	}
	return d, nil
}

// decisionUpdate applies a decision sent as an update and answers with the
// status once the decision is durable: if it decided the card, after the
// transition is written.
func (r *request) decisionUpdate(kind string) func(workflow.Context, cards.DecisionInput) (cards.Status, error) {
	return func(ctx workflow.Context, d cards.DecisionInput) (cards.Status, error) {
		if err := r.check(kind, d); err != nil {
			return r.snapshot(), err
		}
		if err := r.authorize(ctx, kind, d); err != nil {
			return r.snapshot(), err
		}
		r.apply(ctx, kind, d)
		if r.outcome != nil {
			if err := r.awaitWritten(ctx); err != nil {
				return r.snapshot(), err
			}
			if r.transitionErr != nil {
				// The decision was not written: do not answer as if it were.
				return r.snapshot(), r.transitionErr
			}
		}
		return r.snapshot(), nil
	}
}

// writeWaitChangeID versions answering a deciding update with its write
// even when the workflow is cancelled meanwhile; asked only when that
// happens, so other histories are unchanged.
const writeWaitChangeID = "decision-update-waits-for-write"

// awaitWritten waits until the outcome this update decided is written.
// writeOutcome runs to its end on a disconnected context once an outcome
// exists, so the wait does too: a cancellation of the workflow must not
// answer "canceled" about a decision that is being stored.
func (r *request) awaitWritten(ctx workflow.Context) error {
	waitCtx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if err := workflow.Await(waitCtx, func() bool { return r.final || ctx.Err() != nil }); err != nil || r.final {
		return err
	}
	if workflow.GetVersion(ctx, writeWaitChangeID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return ctx.Err()
	}
	return workflow.Await(waitCtx, func() bool { return r.final })
}

// onSignal applies a decision sent as a signal. A signal cannot be answered,
// so one that breaks a rule, or that arrived in clear while the worker
// requires encryption, is ignored and the reason kept in the status; it
// never fails the workflow.
func (r *request) onSignal(ctx workflow.Context, kind string, raw converter.RawValue) {
	var d cards.DecisionInput
	if err := converter.GetDefaultDataConverter().FromPayload(raw.Payload(), &d); err != nil {
		r.ignore(ctx, kind, "", `payload is not {"actor": "...", "comment": "..."}: `+err.Error())
		return
	}
	if err := checkLimits(d); err != nil && ignoreOversized(ctx) {
		r.ignore(ctx, kind, d.Actor, reasonOf(err))
		return
	}
	// The recorded policy decides, not the replaying worker's setting.
	if r.policy.RequireEncryption && codec.ArrivedInClear(raw.Payload()) {
		r.ignore(ctx, kind, d.Actor, codec.PlaintextRefusedType+": "+codec.PlaintextRefusal)
		return
	}
	err := r.check(kind, d)
	if err == nil {
		err = r.authorize(ctx, kind, d)
	}
	if err != nil {
		r.ignore(ctx, kind, d.Actor, reasonOf(err))
		return
	}
	r.apply(ctx, kind, d)
}

// reasonOf is the reason an ignored signal is recorded with: the refusal's
// type and message.
func reasonOf(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type() + ": " + appErr.Message()
	}
	return err.Error()
}

// maxIgnored bounds the ignored list, so that a misbehaving client cannot grow
// the status (and every query answer) without limit: the oldest entries go,
// counted in IgnoredDropped. Each entry is bounded too (keptActor,
// shortReason), so the list stays a few tens of KB at most.
const maxIgnored = 50

func (r *request) ignore(ctx workflow.Context, kind, actor, reason string) {
	actor, reason = keptActor(actor), shortReason(reason)
	r.logger(ctx).Info("Signal ignored", "signal", kind, "actor", actor, "reason", reason)
	if len(r.status.Ignored) == maxIgnored {
		r.status.Ignored = r.status.Ignored[1:]
		r.status.IgnoredDropped++
	}
	r.status.Ignored = append(r.status.Ignored, cards.Ignored{Signal: kind, Actor: actor, Reason: reason})
}

// snapshot returns a copy of the status, safe to hand out while handlers run.
func (r *request) snapshot() cards.Status {
	r.syncApprovals()
	s := r.status
	s.Approvals = append([]cards.Approval{}, r.status.Approvals...)
	s.Ignored = append([]cards.Ignored{}, r.status.Ignored...)
	return s
}
