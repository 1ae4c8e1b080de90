package activities

import "context"

// DeliverPINInput delivers the PIN of an issued card.
type DeliverPINInput struct {
	CardID string `json:"cardId"`
	// Method is the card type's production.pinDelivery: letter, email or none.
	Method string `json:"method"`
}

// DeliverPIN reads the sealed PIN inside the activity and renders the PIN
// letter (or mails it, or does nothing, per pinDelivery), then deletes the
// sealed PIN. It returns where it went, never the PIN.
func (a *Activities) DeliverPIN(ctx context.Context, in DeliverPINInput) (string, error) {
	return "", errNotBuilt
}
