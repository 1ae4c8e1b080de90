package cards

// User is a row of the user directory, as the mapping templates see it:
// {{.GivenName}}, {{.Surname}}, {{.UPN}}, {{.Email}}, {{.ID}}, {{.State}}.
type User struct {
	ID        string `json:"id" db:"id"`
	GivenName string `json:"givenName" db:"given_name"`
	Surname   string `json:"surname" db:"surname"`
	UPN       string `json:"upn" db:"upn"`
	Email     string `json:"email" db:"email"`
	State     string `json:"state" db:"state"`
}

// CardData is what CardsMapUserToCard derives from a user.
type CardData struct {
	CommonName string `json:"commonName"`
	UPN        string `json:"upn"`
}
