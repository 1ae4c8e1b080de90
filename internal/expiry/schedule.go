package expiry

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultSchedule is CARDS_EXPIRY_SCHEDULE's default: daily at 02:00 UTC.
const DefaultSchedule = "0 2 * * *"

// ScheduleID is the Temporal Schedule that starts the daily sweep.
const ScheduleID = "card-expiry-sweep"

// cronFields are the five fields of a cron expression with their ranges,
// in order: minute, hour, day of month, month, day of week.
var cronFields = []struct {
	name     string
	min, max int
	names    []string
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// CheckSchedule checks a cron expression (UTC) the way the worker takes
// CARDS_EXPIRY_SCHEDULE: five fields (minute hour day-of-month month
// day-of-week, each *, a number or name, a range a-b, a step */n or a-b/n,
// or a comma list of those), or @yearly, @monthly, @weekly, @daily,
// @hourly. A mistake stops the worker at start, naming the variable,
// rather than a Schedule the server refuses or never fires.
func CheckSchedule(expr string) error {
	expr = strings.TrimSpace(expr)
	switch expr {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		return nil
	}
	fields := strings.Fields(expr)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("CARDS_EXPIRY_SCHEDULE %q is not a cron expression: want five fields (minute hour day-of-month month day-of-week, UTC), such as %q, or @daily", expr, DefaultSchedule)
	}
	for i, f := range fields {
		spec := cronFields[i]
		for _, part := range strings.Split(f, ",") {
			if err := checkCronPart(part, spec.min, spec.max, spec.names); err != nil {
				return fmt.Errorf("CARDS_EXPIRY_SCHEDULE %q: %s field %q: %v (for example %q: daily at 02:00 UTC)", expr, spec.name, f, err, DefaultSchedule)
			}
		}
	}
	return nil
}

func checkCronPart(part string, min, max int, names []string) error {
	rng, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return fmt.Errorf("step %q must be a positive number", step)
		}
	}
	if rng == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	a, err := cronValue(lo, min, max, names)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	b, err := cronValue(hi, min, max, names)
	if err != nil {
		return err
	}
	if a > b {
		return fmt.Errorf("range %s is backwards", rng)
	}
	return nil
}

func cronValue(s string, min, max int, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return i + min, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < min || v > max {
		return 0, fmt.Errorf("%d is outside %d-%d", v, min, max)
	}
	return v, nil
}
