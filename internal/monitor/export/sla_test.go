package export

import (
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

func TestDeadlineAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cron, deadline string
		want                 time.Duration
		note                 string // a substring of the note, "" for none
	}{
		{"deadline after the tick", "0 2 * * *", "06:00", 28 * time.Hour, ""},
		{"minutes count", "30 1 * * *", "01:45", 24*time.Hour + 15*time.Minute, ""},
		{"deadline the next morning", "0 22 * * *", "06:00", 32 * time.Hour, ""},
		{"deadline at the tick is a day later", "0 6 * * *", "06:00", 48 * time.Hour, ""},
		{"@daily", "@daily", "03:00", 27 * time.Hour, ""},
		{"no deadline", "0 2 * * *", "", 0, ""},
		{"hourly", "0 * * * *", "06:00", 0, "not one tick a day"},
		{"twice a day", "0 2,14 * * *", "06:00", 0, "not one tick a day"},
		{"weekdays", "0 2 * * 1-5", "06:00", 0, "not one tick a day"},
		{"every", "@every 24h", "06:00", 0, "not one tick a day"},
		{"no cron", "", "06:00", 0, "no cron schedule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &spec.Pipeline{Name: "p", SLA: spec.SLA{Deadline: tc.deadline}}
			if tc.cron != "" {
				p.Schedule = &spec.Schedule{Cron: tc.cron, Location: time.UTC}
			}
			got, note := deadlineAge(p)
			if got != tc.want {
				t.Errorf("age = %v, want %v", got, tc.want)
			}
			if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
				t.Errorf("note = %q, want one containing %q", note, tc.note)
			}
		})
	}
}

func TestPromDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		26 * time.Hour: "26h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s",
		time.Millisecond: "1s", 28*time.Hour + 15*time.Minute + 1500*time.Millisecond: "28h15m2s",
	} {
		if got := promDuration(d); got != want {
			t.Errorf("promDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
