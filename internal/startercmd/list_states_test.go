package startercmd

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
)

// `starter list --state` takes every card state, not only the request's.
func TestListTakesEveryCardState(t *testing.T) {
	field, _ := reflect.TypeFor[ListCmd]().FieldByName("State")
	enum := "," + field.Tag.Get("enum") + ","
	for _, s := range cards.CardStates {
		if !strings.Contains(enum, ","+string(s)+",") {
			t.Errorf("starter list --state does not take %s (enum %q)", s, enum)
		}
	}
}
