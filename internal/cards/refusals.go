package cards

// Refusals of the starter that never reach a workflow: the starter maps
// each to exit code 3 like the workflow's own refusals.
const (
	// ErrRequestIDConflict refuses a --request-id that already names a card
	// for another user or card type: attaching to it would report someone
	// else's card as the answer.
	ErrRequestIDConflict = "RequestIdConflict"
	// ErrEmailTaken refuses an e-mail address that another directory user
	// already has (ignoring case): the console finds a signed-in person by
	// their address, so it must name one user.
	ErrEmailTaken = "EmailTaken"
)
