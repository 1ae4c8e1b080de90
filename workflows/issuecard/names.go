package issuecard

import (
	"github.com/cardflow/cardflow/internal/cards"
)

// WorkflowType is IssueCard's registered name.
const WorkflowType = "IssueCard"

// Actions of IssueCard: one workflow type for a card's production, whether
// first, repeated or cancelled, so that the lane names it the same way.
const (
	// ActionIssue produces an approved (or registered) card.
	ActionIssue = "issue"
	// ActionRepeat produces a failed card again, perhaps on another station.
	ActionRepeat = "repeat"
	// ActionCancel ends a failed card's production for good.
	ActionCancel = "cancel"
)

// Input is what an operator asks for.
type Input struct {
	// CardID is the card to produce; with requestCard disabled a new card
	// id for UserID (and CardType) creates the card in registered.
	CardID   string `json:"cardId"`
	UserID   string `json:"userId,omitempty"`
	CardType string `json:"cardType,omitempty"`
	Operator string `json:"operator"`
	// Station is the print station; empty means the card type's default.
	Station string `json:"station,omitempty"`
	// Action is ActionIssue (default), ActionRepeat or ActionCancel.
	Action  string `json:"action,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// Produced reports whether a production ended with the card issued.
func Produced(s cards.State) bool { return s == cards.StateIssued }
