package requestcard

import (
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
)

// Names that the Temporal CLI, the UI and other programs rely on.
const (
	// WorkflowType is the registered workflow name (the function's name).
	WorkflowType = "RequestCard"
	// WorkflowIDPrefix precedes the card id in the workflow id, so that the
	// business id finds the execution and a second start of it attaches.
	WorkflowIDPrefix = "request-card-"

	// StatusQuery returns the status document.
	StatusQuery = "status"
	// PersistedUpdate answers once the card is persisted (requested or
	// approved) or the request is refused: the early return of `starter
	// request`, sent with update-with-start.
	PersistedUpdate = "persisted"
)

// Search attributes (Keyword) kept current by the workflow, so that
// `temporal workflow list --query "CardRequestState='requested'"` works.
var (
	StateSearchAttribute    = temporal.NewSearchAttributeKeyKeyword("CardRequestState")
	UserIDSearchAttribute   = temporal.NewSearchAttributeKeyKeyword("CardUserId")
	CardTypeSearchAttribute = temporal.NewSearchAttributeKeyKeyword("CardType")
)

// SearchAttributeNames lists the search attributes a Temporal namespace must
// have registered before RequestCard can run there (workflows.SearchAttributeNames
// gathers those of every workflow type for the worker's start-up check).
var SearchAttributeNames = []string{
	StateSearchAttribute.GetName(), UserIDSearchAttribute.GetName(), CardTypeSearchAttribute.GetName(),
}

// WorkflowID derives the workflow id from the card id.
func WorkflowID(cardID string) string { return WorkflowIDPrefix + cardID }

// RequestCardInput is what an operator asks for.
type RequestCardInput struct {
	CardID string `json:"cardId"`
	UserID string `json:"userId"`
	// CardType may be empty: the policy's default card type applies.
	CardType    string `json:"cardType,omitempty"`
	RequestedBy string `json:"requestedBy"`
	// Batch says the card is one of a Request multiple cards order: unless
	// the policy's batchRequestApproval is true it is approved at once.
	// The activity that reads the policy applies it, so that the workflow's
	// commands do not depend on it and need no new version.
	Batch bool `json:"batch,omitempty"`
}

// StartSearchAttributes are the search attributes a client sets when it
// starts RequestCard: the request is listed as pending from its first
// moment, and the workflow need not upsert them itself (one history event
// and one visibility write fewer per card).
func StartSearchAttributes(in RequestCardInput) temporal.SearchAttributes {
	attrs := []temporal.SearchAttributeUpdate{
		StateSearchAttribute.ValueSet(string(cards.StatePending)),
		UserIDSearchAttribute.ValueSet(in.UserID),
	}
	if in.CardType != "" {
		attrs = append(attrs, CardTypeSearchAttribute.ValueSet(in.CardType))
	}
	return temporal.NewSearchAttributes(attrs...)
}
