package schedule

import (
	"testing"
	"time"
)

// TestNextAcrossDST pins what users see on the days clocks change.
// Berlin: 2026-03-29 02:00 CET -> 03:00 CEST, 2026-10-25 03:00 CEST -> 02:00 CET.
// New York: 2026-03-08 02:00 EST -> 03:00 EDT, 2026-11-01 02:00 EDT -> 01:00 EST.
func TestNextAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, from string
		want                   []string
	}{
		// Time-of-day schedules: once per local date and time.
		{"Berlin spring, skipped time fires after the gap", "30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00+01:00",
			[]string{"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"Berlin spring, 02:00 fires at 03:00", "0 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
		{"Berlin spring, skipped and real 03:00 merge", "0 2,3 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T03:00:00+02:00"}},
		{"Berlin autumn, repeated time fires once", "30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00+02:00",
			[]string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"Berlin autumn, 02:00 fires at its first occurrence", "0 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-26T02:00:00+01:00"}},
		{"Berlin autumn, from inside the repeated hour", "30 2 * * *", "Europe/Berlin", "2026-10-25T02:10:00+01:00",
			[]string{"2026-10-26T02:30:00+01:00"}},
		{"Berlin autumn, every two hours", "0 */2 * * *", "Europe/Berlin", "2026-10-25T00:00:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T04:00:00+01:00"}},
		{"New York spring", "30 2 * * *", "America/New_York", "2026-03-07T00:00:00-05:00",
			[]string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"New York autumn", "30 1 * * *", "America/New_York", "2026-10-31T00:00:00-04:00",
			[]string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"New York weekdays across spring", "0 9 * * 1-5", "America/New_York", "2026-03-06T10:00:00-05:00",
			[]string{"2026-03-09T09:00:00-04:00"}},
		{"Lord Howe half-hour spring", "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30",
			[]string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
		{"Lord Howe half-hour autumn", "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00",
			[]string{"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"}},
		{"Santiago skips midnight", "@daily", "America/Santiago", "2026-09-05T12:00:00-04:00",
			[]string{"2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"}},
		{"Santiago repeats the hour before midnight", "30 23 * * *", "America/Santiago", "2026-04-04T12:00:00-03:00",
			[]string{"2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"}},

		// Schedules that fire every hour follow the clock.
		{"Berlin spring hourly", "@hourly", "Europe/Berlin", "2026-03-29T00:00:00+01:00",
			[]string{"2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"}},
		{"Berlin spring half past", "30 * * * *", "Europe/Berlin", "2026-03-29T01:00:00+01:00",
			[]string{"2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"}},
		{"Berlin autumn hourly fires in both 02:00s", "@hourly", "Europe/Berlin", "2026-10-25T00:30:00+02:00",
			[]string{"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"}},
		{"Berlin autumn every 30 minutes", "*/30 * * * *", "Europe/Berlin", "2026-10-25T01:45:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"}},
		{"New York autumn hourly", "@hourly", "America/New_York", "2026-11-01T00:00:00-04:00",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"New York spring every 15 minutes", "*/15 * * * *", "America/New_York", "2026-03-08T01:30:00-05:00",
			[]string{"2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkTicks(t, mustNew(t, tc.expr, tc.zone), tm(t, tc.from), tc.want)
		})
	}
}

// TestIntervalsAcrossDSTDay checks that a DST day's intervals tile it:
// contiguous, none lost or repeated, with the elapsed lengths doc.go states.
func TestIntervalsAcrossDSTDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, day string
		count                 int
		lengths               map[time.Duration]int // elapsed length -> how many intervals
	}{
		{"Berlin spring hourly", "@hourly", "Europe/Berlin", "2026-03-29", 23, map[time.Duration]int{time.Hour: 23}},
		{"Berlin autumn hourly", "@hourly", "Europe/Berlin", "2026-10-25", 25, map[time.Duration]int{time.Hour: 25}},
		{"New York spring quarter-hourly", "*/15 * * * *", "America/New_York", "2026-03-08", 92, map[time.Duration]int{15 * time.Minute: 92}},
		{"New York autumn quarter-hourly", "*/15 * * * *", "America/New_York", "2026-11-01", 100, map[time.Duration]int{15 * time.Minute: 100}},
		{"Berlin spring every two hours", "0 */2 * * *", "Europe/Berlin", "2026-03-29", 12, map[time.Duration]int{time.Hour: 1, 2 * time.Hour: 11}},
		{"Berlin autumn every two hours", "0 */2 * * *", "Europe/Berlin", "2026-10-25", 12, map[time.Duration]int{3 * time.Hour: 1, 2 * time.Hour: 11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, tc.expr, tc.zone)
			day := DayInterval(tm(t, tc.day+"T00:00:00Z"), s.Location())
			got, err := s.Intervals(day.Start, day.End, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.count {
				t.Fatalf("%d intervals, want %d: %v", len(got), tc.count, got)
			}
			if !got[0].Start.Equal(day.Start) || !got[len(got)-1].End.Equal(day.End) {
				t.Errorf("intervals span %s to %s, want the day %s", got[0].Start, got[len(got)-1].End, day)
			}
			lengths := map[time.Duration]int{}
			for i, v := range got {
				lengths[v.End.Sub(v.Start)]++
				if i > 0 && !v.Start.Equal(got[i-1].End) {
					t.Errorf("interval %d %s does not start where %s ends", i, v, got[i-1])
				}
			}
			if len(lengths) != len(tc.lengths) {
				t.Errorf("lengths %v, want %v", lengths, tc.lengths)
			}
			for d, n := range tc.lengths {
				if lengths[d] != n {
					t.Errorf("lengths %v, want %v", lengths, tc.lengths)
				}
			}
		})
	}
}

func TestDailyIntervalsAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, from, to string
		want                       []Interval
	}{
		{"Berlin spring 02:30 runs once, 23.5h either side", "30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00", []Interval{
			iv(t, "2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00"),
			iv(t, "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"),
		}},
		{"Berlin autumn 02:30 runs once, 25h interval", "30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00+02:00", "2026-10-27T00:00:00+01:00", []Interval{
			iv(t, "2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"),
			iv(t, "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
		}},
		{"New York midnight, 23h then 25h days", "@daily", "America/New_York", "2026-03-07T00:00:00-05:00", "2026-03-09T00:00:00-04:00", []Interval{
			iv(t, "2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00"),
			iv(t, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustNew(t, tc.expr, tc.zone).Intervals(tm(t, tc.from), tm(t, tc.to), 10)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIntervals(got, tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestDayInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, date, zone string
		want             Interval
		hours            int
	}{
		{"plain day", "2026-05-01T00:00:00Z", "Europe/Berlin", iv(t, "2026-05-01T00:00:00+02:00", "2026-05-02T00:00:00+02:00"), 24},
		{"date keeps its calendar day", "2026-05-01T23:30:00-07:00", "Europe/Berlin", iv(t, "2026-05-01T00:00:00+02:00", "2026-05-02T00:00:00+02:00"), 24},
		{"Berlin spring", "2026-03-29T00:00:00Z", "Europe/Berlin", iv(t, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"), 23},
		{"Berlin autumn", "2026-10-25T00:00:00Z", "Europe/Berlin", iv(t, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"), 25},
		{"New York spring", "2026-03-08T00:00:00Z", "America/New_York", iv(t, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"), 23},
		{"Santiago skips midnight", "2026-09-06T00:00:00Z", "America/Santiago", iv(t, "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"), 23},
		{"Santiago repeats the hour before midnight", "2026-04-04T00:00:00Z", "America/Santiago", iv(t, "2026-04-04T00:00:00-03:00", "2026-04-05T00:00:00-04:00"), 25},
		{"nil location is UTC", "2026-05-01T00:00:00Z", "", iv(t, "2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z"), 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var loc *time.Location
			if tc.zone != "" {
				loc = mustLoc(t, tc.zone)
			}
			got := DayInterval(tm(t, tc.date), loc)
			if got.String() != tc.want.String() {
				t.Fatalf("DayInterval = %s, want %s", got, tc.want)
			}
			if h := got.End.Sub(got.Start); h != time.Duration(tc.hours)*time.Hour {
				t.Fatalf("day lasts %s, want %dh", h, tc.hours)
			}
		})
	}
}
