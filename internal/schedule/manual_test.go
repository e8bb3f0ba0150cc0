package schedule

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// TestManualInterval pins the interval a run started by hand (gantry run,
// gantry trigger, a staging run) covers when no one names one.
func TestManualInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cron      string // "" for no cron
		zone      string // "" for no schedule at all
		now       string
		wantStart string
		wantEnd   string
	}{
		{"daily at 03:00 Berlin, mid-morning", "0 3 * * *", "Europe/Berlin", "2026-11-21T10:00:00+01:00",
			"2026-11-20T03:00:00+01:00", "2026-11-21T03:00:00+01:00"},
		{"daily at 03:00 Berlin, before today's tick", "0 3 * * *", "Europe/Berlin", "2026-11-21T02:59:00+01:00",
			"2026-11-19T03:00:00+01:00", "2026-11-20T03:00:00+01:00"},
		{"a tick at now closes its interval", "0 3 * * *", "Europe/Berlin", "2026-11-21T03:00:00+01:00",
			"2026-11-20T03:00:00+01:00", "2026-11-21T03:00:00+01:00"},
		{"the zone decides the day, not UTC", "@daily", "Asia/Tokyo", "2026-11-20T20:00:00Z",
			"2026-11-20T00:00:00+09:00", "2026-11-21T00:00:00+09:00"},
		{"daily across the spring jump lasts 23 hours", "@daily", "Europe/Berlin", "2026-03-30T08:00:00+02:00",
			"2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"},
		{"daily across the autumn jump lasts 25 hours", "0 6 * * *", "America/New_York", "2026-11-01T07:00:00-05:00",
			"2026-10-31T06:00:00-04:00", "2026-11-01T06:00:00-05:00"},
		{"hourly", "@hourly", "UTC", "2026-11-21T10:17:00Z",
			"2026-11-21T09:00:00Z", "2026-11-21T10:00:00Z"},
		{"hourly across the spring jump", "@hourly", "Europe/Berlin", "2026-03-29T03:30:00+02:00",
			"2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"},
		{"hourly in the repeated autumn hour", "@hourly", "Europe/Berlin", "2026-10-25T02:30:00+01:00",
			"2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"},
		{"every 15 minutes", "*/15 * * * *", "America/New_York", "2026-11-21T10:59:59-05:00",
			"2026-11-21T10:30:00-05:00", "2026-11-21T10:45:00-05:00"},
		{"weekdays only, on a Monday", "0 9 * * 1-5", "UTC", "2026-11-23T08:00:00Z",
			"2026-11-19T09:00:00Z", "2026-11-20T09:00:00Z"},
		{"no schedule: yesterday in UTC", "", "", "2026-11-21T00:30:00+01:00",
			"2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"},
		{"schedule.after alone: yesterday in its zone", "", "Asia/Tokyo", "2026-11-20T20:00:00Z",
			"2026-11-20T00:00:00+09:00", "2026-11-21T00:00:00+09:00"},
		{"no cron, the day after the spring jump", "", "Europe/Berlin", "2026-03-30T12:00:00+02:00",
			"2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"},
		{"no cron, a day whose midnight the clock skipped", "", "America/Santiago", "2026-09-07T12:00:00-03:00",
			"2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ps *spec.Schedule
			if tc.zone != "" {
				ps = &spec.Schedule{Cron: tc.cron, Timezone: tc.zone, Location: mustLoc(t, tc.zone)}
			}
			got, err := ManualInterval(ps, tm(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			want := iv(t, tc.wantStart, tc.wantEnd)
			if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
				t.Errorf("ManualInterval at %s = %s, want %s", tc.now, got, want)
			}
		})
	}
}

// A manual run covers what the scheduler ran last: the interval Due hands
// a pipeline never scheduled before.
func TestManualIntervalIsTheLastScheduledOne(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"0 3 * * *", "@hourly", "30 2 * * *", "*/7 * * * *", "@every 6h"} {
		ps := &spec.Schedule{Cron: expr, Timezone: "Europe/Berlin", Location: mustLoc(t, "Europe/Berlin")}
		s := mustNew(t, expr, "Europe/Berlin")
		for now := tm(t, "2026-03-28T00:00:00+01:00"); now.Before(tm(t, "2026-03-31T00:00:00+02:00")); now = now.Add(17 * time.Minute) {
			got, err := ManualInterval(ps, now)
			if err != nil {
				t.Fatal(err)
			}
			due := s.Due(time.Time{}, now, CatchupLatest, 0)
			if len(due) != 1 || !equalIntervals([]Interval{got}, due) {
				t.Fatalf("%s at %s: ManualInterval = %s, the scheduler's latest = %v", expr, now.Format(time.RFC3339), got, due)
			}
		}
	}
}

func TestManualIntervalRefusesWhatNewRefuses(t *testing.T) {
	t.Parallel()
	ps := &spec.Schedule{Cron: "@every 500ms", Location: time.UTC}
	if _, err := ManualInterval(ps, time.Now()); err == nil {
		t.Error("ManualInterval accepted @every 500ms, which New refuses")
	}
}
