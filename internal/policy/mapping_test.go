package policy

import (
	"errors"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
)

func TestMapperAppliesTheCardTypesTemplates(t *testing.T) {
	p, err := Parse([]byte(`
useCases: {requestCard: true}
cardTypes:
  standard:
    mapping: {commonName: "{{.Surname}}, {{.GivenName}}", upn: "{{.ID}}@corp.example"}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve("standard")
	if err != nil {
		t.Fatal(err)
	}
	var m Mapper
	got, err := m.Map(r, cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (cards.CardData{CommonName: "Lovelace, Ada", UPN: "ada@corp.example"}); got != want {
		t.Fatalf("Map = %+v, want %+v", got, want)
	}
}

func TestMapperNamesTheFailingTemplate(t *testing.T) {
	var m Mapper
	_, err := m.Map(Resolved{CommonNameTemplate: "{{.GivenName}}", UPNTemplate: "{{.Nmae}}"}, cards.User{GivenName: "Ada"})
	var mapErr *MappingError
	if !errors.As(err, &mapErr) || mapErr.Field != "upn" {
		t.Fatalf("Map error = %v, want a MappingError for upn", err)
	}
}
