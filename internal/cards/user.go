package cards

import "slices"

// User is a row of the user directory, as the mapping templates see it:
// {{.GivenName}}, {{.Surname}}, {{.UPN}}, {{.Email}}, {{.ID}}, {{.State}}.
type User struct {
	ID        string `json:"id" db:"id"`
	GivenName string `json:"givenName" db:"given_name"`
	Surname   string `json:"surname" db:"surname"`
	UPN       string `json:"upn" db:"upn"`
	Email     string `json:"email" db:"email"`
	State     string `json:"state" db:"state"`
	// Roles are the directory roles the user holds (table user_roles),
	// sorted; they decide who may request and who may approve.
	Roles []string `json:"roles,omitempty" db:"-"`
}

// HasRole reports whether the user holds role.
func (u User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// Active reports whether the user is in the only state that may act or
// receive a card.
func (u User) Active() bool { return u.State == ActiveUserState }

// CardData is what CardsMapUserToCard derives from a user.
type CardData struct {
	CommonName string `json:"commonName"`
	UPN        string `json:"upn"`
}
