package station

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/limits"
)

// check refuses a job that would print a wrong card or write outside the
// station's folder, before anything is written: a card number that fails
// its check digit would be printed and encoded for good.
func (j Job) check() error {
	var problems []string
	if !cardnumber.Valid(j.Number) {
		problems = append(problems, fmt.Sprintf("card number %q is not a valid card number (prefix, digits, Luhn check digit)", j.Number))
	}
	if err := folderName("card id", j.CardID); err != nil {
		problems = append(problems, err.Error())
	}
	if err := limits.Identifier("job id", j.JobID); err != nil {
		problems = append(problems, err.Error())
	}
	if err := limits.Name("holder name", j.HolderName); err != nil {
		problems = append(problems, err.Error())
	}
	if j.UPN != "" {
		if err := limits.Address("UPN", j.UPN); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if strings.TrimSpace(j.CardType) == "" {
		problems = append(problems, "no card type")
	}
	if j.ValidUntil.IsZero() {
		problems = append(problems, "no validity date")
	}
	if len(j.Usages) == 0 {
		problems = append(problems, "no certificate usage (a card needs at least one key)")
	}
	seen := map[ca.Usage]bool{}
	for _, u := range j.Usages {
		if _, err := ca.ParseUsage(string(u)); err != nil {
			problems = append(problems, err.Error())
		} else if seen[u] {
			problems = append(problems, fmt.Sprintf("usage %s listed twice", u))
		}
		seen[u] = true
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// folderName checks that s can name a folder under the output directory and
// nothing else: no separator, no "." or "..", no control characters.
func folderName(field, s string) error {
	if err := limits.Identifier(field, s); err != nil {
		return err
	}
	if s == "." || s == ".." || strings.ContainsAny(s, `/\:`) {
		return fmt.Errorf("%s: must be a plain folder name (no /, \\, : and not . or ..)", field)
	}
	return nil
}

// CheckID checks a station id: it names a task queue and a folder.
func CheckID(id string) error { return folderName("station id", id) }
