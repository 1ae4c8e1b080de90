package cards

// Signal and update names. Signals and updates share names and payload: an
// update is a signal for callers who want an answer.
const (
	Approve = "approve"
	Reject  = "reject"
	Cancel  = "cancel"
)

// DecisionKinds lists the decision names in a fixed order, for deterministic
// handler registration.
var DecisionKinds = []string{Approve, Reject, Cancel}

// DecisionInput is the payload of the approve, reject and cancel signals and updates:
// {"actor": "<name>", "comment": "<text>"}.
type DecisionInput struct {
	Actor   string `json:"actor"`
	Comment string `json:"comment"`
}
