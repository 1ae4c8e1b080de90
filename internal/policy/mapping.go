package policy

import (
	"bytes"
	"fmt"
	"sync"
	"text/template"

	"github.com/cardflow/cardflow/internal/cards"
)

// Mapper is CardsMapUserToCard: it derives a card's common name and UPN from
// a user with the mapping templates in force. The MapUserToCard activity and
// the console's preview both use it, so what an operator sees before clicking
// Next is exactly what the workflow writes on the card.
//
// The zero value is ready to use and safe for concurrent use; it parses each
// template source once and keeps it.
type Mapper struct {
	templates sync.Map // source -> *template.Template
}

// MappingError names the template that failed on a user, so that the caller
// can tell a policy problem ("mapping upn: ... no field Nmae") from an outage.
type MappingError struct {
	Field string // commonName or upn
	Err   error
}

// Error says which template failed and why.
func (e *MappingError) Error() string { return "mapping " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the template error.
func (e *MappingError) Unwrap() error { return e.Err }

// Map executes r's commonName and UPN templates over u.
func (m *Mapper) Map(r Resolved, u cards.User) (cards.CardData, error) {
	commonName, err := m.execute(r.CommonNameTemplate, u)
	if err != nil {
		return cards.CardData{}, &MappingError{Field: "commonName", Err: err}
	}
	upn, err := m.execute(r.UPNTemplate, u)
	if err != nil {
		return cards.CardData{}, &MappingError{Field: "upn", Err: err}
	}
	return cards.CardData{CommonName: commonName, UPN: upn}, nil
}

func (m *Mapper) execute(src string, u cards.User) (string, error) {
	t, err := m.template(src)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, u); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func (m *Mapper) template(src string) (*template.Template, error) {
	if t, ok := m.templates.Load(src); ok {
		return t.(*template.Template), nil
	}
	t, err := ParseTemplate(src)
	if err != nil {
		return nil, fmt.Errorf("parse template %q: %w", src, err)
	}
	actual, _ := m.templates.LoadOrStore(src, t)
	return actual.(*template.Template), nil
}
