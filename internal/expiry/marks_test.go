package expiry

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	h := time.Hour
	day := 24 * h
	v := time.Date(2029, 12, 1, 2, 0, 0, 0, time.UTC) // valid_until
	std := Rule{Marks: []time.Duration{1440 * h, 720 * h, 336 * h, 168 * h}, Daily: true}
	noDaily := Rule{Marks: std.Marks}
	longAgo := v.Add(-26280 * h)
	cases := []struct {
		name   string
		issued time.Time
		now    time.Time
		rule   Rule
		want   string
	}{
		{"long before the first mark", longAgo, v.Add(-100 * day), std, ""},
		{"a second before the first mark", longAgo, v.Add(-1440*h - time.Second), std, ""},
		{"at the first mark", longAgo, v.Add(-1440 * h), std, "1440h"},
		{"between the first and second", longAgo, v.Add(-40 * day), std, "1440h"},
		{"at the second mark", longAgo, v.Add(-720 * h), std, "720h"},
		{"between 14 and 7 days", longAgo, v.Add(-10 * day), std, "336h"},
		{"at the last mark", longAgo, v.Add(-168 * h), std, "168h"},
		{"less than a day after the last mark", longAgo, v.Add(-168*h + 23*h), std, "168h"},
		{"a day after the last mark: daily", longAgo, v.Add(-6 * day), std, "daily-2029-11-25"},
		{"the last day: daily", longAgo, v.Add(-time.Minute), std, "daily-2029-12-01"},
		{"without daily the last mark stays due", longAgo, v.Add(-2 * day), noDaily, "168h"},
		{"at valid_until: nothing (the card expires)", longAgo, v, std, ""},
		{"after valid_until: nothing", longAgo, v.Add(day), std, ""},
		{"unknown issue time: every mark counts", time.Time{}, v.Add(-1440 * h), std, "1440h"},
		{"issued inside the 60-day window: no 60-day reminder", v.Add(-50 * day), v.Add(-45 * day), std, ""},
		{"issued inside the 60-day window: 30 days still ahead", v.Add(-50 * day), v.Add(-30 * day), std, "720h"},
		{"issued exactly at a mark: that mark passed", v.Add(-720 * h), v.Add(-720 * h), std, ""},
		{"issued inside the 7-day window: no marks", v.Add(-5 * day), v.Add(-5*day + h), std, ""},
		{"issued inside the 7-day window: daily a day after issue", v.Add(-5 * day), v.Add(-4 * day), std, "daily-2029-11-27"},
		{"issued inside the 7-day window, no daily: nothing", v.Add(-5 * day), v.Add(-4 * day), noDaily, ""},
		{"no marks: no reminders, daily or not", longAgo, v.Add(-time.Hour), Rule{Daily: true}, ""},
		{"marks in any order", longAgo, v.Add(-10 * day), Rule{Marks: []time.Duration{168 * h, 1440 * h, 336 * h, 720 * h}}, "336h"},
		{"a short last mark leaves no room for daily", longAgo, v.Add(-time.Hour), Rule{Marks: []time.Duration{48 * h, 12 * h}, Daily: true}, "12h"},
		{"seconds marks", v.Add(-30 * time.Second), v.Add(-15 * time.Second), Rule{Marks: []time.Duration{20 * time.Second, 10 * time.Second}, Daily: true}, "20s"},
		{"seconds marks, the last", v.Add(-30 * time.Second), v.Add(-5 * time.Second), Rule{Marks: []time.Duration{20 * time.Second, 10 * time.Second}, Daily: true}, "10s"},
		{"minutes mark", longAgo, v.Add(-90 * time.Minute), Rule{Marks: []time.Duration{90 * time.Minute}}, "90m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Due(v, c.issued, c.now, c.rule); got != c.want {
				t.Fatalf("Due(valid until %s, issued %s, now %s) = %q, want %q", v, c.issued, c.now, got, c.want)
			}
		})
	}
}

// A card swept every day of its last 70 days gets each mark once, then a
// daily reminder each day, never one for a passed mark: the sequence the
// holder sees.
func TestDueOverACardsLastDays(t *testing.T) {
	v := time.Date(2029, 12, 1, 14, 30, 0, 0, time.UTC)
	rule := Rule{Marks: []time.Duration{1440 * time.Hour, 720 * time.Hour, 336 * time.Hour, 168 * time.Hour}, Daily: true}
	sent := map[string]bool{}
	var order []string
	for now := v.Add(-70 * 24 * time.Hour).Truncate(24 * time.Hour).Add(2 * time.Hour); now.Before(v.Add(48 * time.Hour)); now = now.Add(24 * time.Hour) {
		if id := Due(v, time.Time{}, now, rule); id != "" && !sent[id] {
			sent[id] = true
			order = append(order, id)
		}
	}
	want := []string{"1440h", "720h", "336h", "168h", "daily-2029-11-26", "daily-2029-11-27", "daily-2029-11-28", "daily-2029-11-29", "daily-2029-11-30", "daily-2029-12-01"}
	if len(order) != len(want) {
		t.Fatalf("reminders %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("reminders %v, want %v", order, want)
		}
	}
}

func TestMarkIDAndHelpers(t *testing.T) {
	for d, want := range map[time.Duration]string{1440 * time.Hour: "1440h", 90 * time.Minute: "90m", 45 * time.Second: "45s", 2 * time.Hour: "2h"} {
		if got := MarkID(d); got != want {
			t.Errorf("MarkID(%s) = %q, want %q", d, got, want)
		}
	}
	if !IsDaily("daily-2029-11-20") || IsDaily("168h") {
		t.Error("IsDaily")
	}
	if got := (Rule{Marks: []time.Duration{time.Hour, 3 * time.Hour}}).Longest(); got != 3*time.Hour {
		t.Errorf("Longest = %s", got)
	}
	if (Rule{}).Longest() != 0 {
		t.Error("Longest of no marks")
	}
	v := time.Date(2029, 12, 1, 0, 0, 0, 0, time.UTC)
	for now, want := range map[time.Time]int{v: 0, v.Add(time.Hour): 0, v.Add(-time.Hour): 1, v.Add(-24 * time.Hour): 1, v.Add(-25 * time.Hour): 2} {
		if got := DaysLeft(v, now); got != want {
			t.Errorf("DaysLeft at %s = %d, want %d", now, got, want)
		}
	}
}
