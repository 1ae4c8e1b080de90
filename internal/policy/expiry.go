package policy

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cardflow/cardflow/internal/expiry"
)

// DefaultRemindBeforeExpiry are the original's reminders: 60, 30, 14 and 7
// days before a card's valid_until.
var DefaultRemindBeforeExpiry = []time.Duration{1440 * time.Hour, 720 * time.Hour, 336 * time.Hour, 168 * time.Hour}

// Expiry is a card type's expiry block: when the holder is reminded that
// the card runs out (LIFECYCLE.md "Expiry").
type Expiry struct {
	// RemindBefore are the marks: how long before valid_until the holder
	// is reminded, once per card and mark.
	RemindBefore []time.Duration
	// RemindDaily reminds each day after the last mark until valid_until.
	RemindDaily bool

	// problems are the values refused while decoding; remindSet and
	// dailySet tell a missing key (the default) from a given one.
	problems            []string
	remindSet, dailySet bool
}

// UnmarshalYAML decodes an expiry block, remembering which keys were
// present and refusing a remindBefore that is not a list of positive
// durations.
func (e *Expiry) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		RemindBefore yaml.Node `yaml:"remindBefore"`
		RemindDaily  *bool     `yaml:"remindDaily"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	*e = Expiry{}
	if raw.RemindDaily != nil {
		e.RemindDaily, e.dailySet = *raw.RemindDaily, true
	}
	if raw.RemindBefore.Kind == 0 {
		return nil
	}
	e.remindSet = true
	if raw.RemindBefore.Kind != yaml.SequenceNode {
		e.problems = append(e.problems, fmt.Sprintf("remindBefore (line %d) must be a list of positive durations such as [1440h, 720h]", raw.RemindBefore.Line))
		return nil
	}
	for _, item := range raw.RemindBefore.Content {
		var d Duration
		if err := item.Decode(&d); err != nil {
			e.problems = append(e.problems, "remindBefore: "+err.Error())
			continue
		}
		switch mark := time.Duration(d); {
		case mark <= 0:
			e.problems = append(e.problems, fmt.Sprintf("remindBefore (line %d) must hold positive durations, got %s", item.Line, mark))
		case mark%time.Second != 0:
			e.problems = append(e.problems, fmt.Sprintf("remindBefore (line %d) must hold whole seconds, got %s", item.Line, mark))
		case slices.Contains(e.RemindBefore, mark):
			e.problems = append(e.problems, fmt.Sprintf("remindBefore lists %s twice", mark))
		default:
			e.RemindBefore = append(e.RemindBefore, mark)
		}
	}
	return nil
}

// normalize applies the defaults and returns what is wrong, each problem
// named by its place in the file (cardTypes.<name>.expiry.<key>): no given
// mark may be longer than the card type's validity (a reminder before the
// card exists); of the default marks, those longer are left out.
func (e *Expiry) normalize(cardType string, validity time.Duration) []string {
	var problems []string
	for _, p := range e.problems {
		problems = append(problems, fmt.Sprintf("cardTypes.%s.expiry.%s", cardType, p))
	}
	if !e.remindSet {
		// The defaults a shorter validity leaves room for: a 30-day
		// visitor card is reminded at 30 (at issue: never), 14 and 7 days.
		for _, mark := range DefaultRemindBeforeExpiry {
			if validity <= 0 || mark <= validity {
				e.RemindBefore = append(e.RemindBefore, mark)
			}
		}
	}
	if !e.dailySet {
		e.RemindDaily = true
	}
	for _, mark := range e.RemindBefore {
		if validity > 0 && mark > validity {
			problems = append(problems, fmt.Sprintf("cardTypes.%s.expiry.remindBefore: mark %s is longer than the card type's validity %s", cardType, mark, validity))
		}
	}
	slices.SortFunc(e.RemindBefore, func(a, b time.Duration) int { return int((b - a) / time.Second) })
	return problems
}

// ExpiryRules returns every card type's reminder rule, by card type: what
// the expiry sweep applies.
func (p *Policy) ExpiryRules() map[string]expiry.Rule {
	rules := make(map[string]expiry.Rule, len(p.CardTypes))
	for name, ct := range p.CardTypes {
		rules[name] = expiry.Rule{Marks: slices.Clone(ct.Expiry.RemindBefore), Daily: ct.Expiry.RemindDaily}
	}
	return rules
}
