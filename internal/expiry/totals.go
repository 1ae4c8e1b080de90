package expiry

import (
	"maps"
	"slices"
	"sort"
)

// DailyKind is the mark kind under which daily reminders are counted.
const DailyKind = "daily"

// CardTypeTotals is what a sweep did for one card type: reminders by mark
// kind (1440h, ..., daily) and cards expired.
type CardTypeTotals struct {
	Reminded map[string]int `json:"reminded"`
	Expired  int            `json:"expired"`
}

// Totals is what a sweep did, by card type: the ExpirySweep workflow's
// result and what `starter expiry sweep` prints.
type Totals map[string]CardTypeTotals

// Kind is the mark kind a mark id is counted under: the mark itself, or
// daily for a daily reminder.
func Kind(markID string) string {
	if IsDaily(markID) {
		return DailyKind
	}
	return markID
}

// Remind counts one reminder of markID for cardType.
func (t Totals) Remind(cardType, markID string) {
	c := t[cardType]
	if c.Reminded == nil {
		c.Reminded = map[string]int{}
	}
	c.Reminded[Kind(markID)]++
	t[cardType] = c
}

// Expire counts one card of cardType expired.
func (t Totals) Expire(cardType string) {
	c := t[cardType]
	if c.Reminded == nil {
		c.Reminded = map[string]int{}
	}
	c.Expired++
	t[cardType] = c
}

// Add adds o into t. It runs in workflow code (a sweep's totals carried
// across pages and runs), so it walks the maps in sorted key order, never
// Go's random one.
func (t Totals) Add(o Totals) {
	for _, ct := range slices.Sorted(maps.Keys(o)) {
		c := o[ct]
		sum := t[ct]
		if sum.Reminded == nil {
			sum.Reminded = map[string]int{}
		}
		for _, k := range slices.Sorted(maps.Keys(c.Reminded)) {
			sum.Reminded[k] += c.Reminded[k]
		}
		sum.Expired += c.Expired
		t[ct] = sum
	}
}

// Reminded is the number of reminders over every card type and mark.
func (t Totals) Reminded() int {
	n := 0
	for _, c := range t {
		for _, k := range c.Reminded {
			n += k
		}
	}
	return n
}

// Expired is the number of cards expired over every card type.
func (t Totals) Expired() int {
	n := 0
	for _, c := range t {
		n += c.Expired
	}
	return n
}

// CardTypes lists the card types in t in order.
func (t Totals) CardTypes() []string {
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
