package expiry

import (
	"strings"
	"testing"
)

func TestCheckSchedule(t *testing.T) {
	for _, ok := range []string{DefaultSchedule, "@daily", "*/5 * * * *", "0 2 * * mon-fri", "30 1,13 1-15/2 jan *", "0 0 * * 7"} {
		if err := CheckSchedule(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for expr, want := range map[string]string{
		"":              "want five fields",
		"0 2 * *":       "want five fields",
		"@every":        "want five fields",
		"60 2 * * *":    "minute field \"60\": 60 is outside 0-59",
		"0 24 * * *":    "hour field",
		"0 2 0 * *":     "day of month field",
		"0 2 * 13 *":    "month field",
		"0 2 * * 8":     "day of week field",
		"0 2 * * x":     `"x" is not a number`,
		"*/0 2 * * *":   "step \"0\" must be a positive number",
		"0 5-2 * * *":   "range 5-2 is backwards",
		"0 2 * * * * *": "want five fields",
	} {
		err := CheckSchedule(expr)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "CARDS_EXPIRY_SCHEDULE") {
			t.Errorf("%q: got %v, want an error naming CARDS_EXPIRY_SCHEDULE and containing %q", expr, err, want)
		}
	}
}
