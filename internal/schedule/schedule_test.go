package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, want string
	}{
		{"empty", "  ", "empty cron expression"},
		{"six fields", "0 0 2 * * *", "five fields: minute hour day-of-month month day-of-week"},
		{"minute out of range", "60 * * * *", "above maximum"},
		{"unknown descriptor", "@fortnightly", "unrecognized descriptor"},
		{"zone in expression", "TZ=Europe/Berlin 0 2 * * *", "give the time zone as the location"},
		{"never fires", "0 0 31 4 *", "never fires"},
		{"february 30", "0 0 30 2 *", "never fires"},
		{"negative every", "@every -5m", "at least 1s"},
		{"every without unit", "@every 5", "invalid cron"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.expr, time.UTC)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New(%q) error = %v, want one containing %q", tc.expr, err, tc.want)
			}
		})
	}
}

func TestNewNilLocationIsUTC(t *testing.T) {
	t.Parallel()
	s, err := New("@daily", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(tm(t, "2026-05-01T10:00:00+02:00"))
	if want := "2026-05-02T00:00:00Z"; got.Format(time.RFC3339) != want {
		t.Fatalf("Next = %s, want %s", got.Format(time.RFC3339), want)
	}
}

// TestNext lists the ticks after a start; Prev must retrace them.
func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, from string
		want                   []string
	}{
		{"every 15 minutes, from between ticks", "*/15 * * * *", "UTC", "2026-05-01T10:07:30Z",
			[]string{"2026-05-01T10:15:00Z", "2026-05-01T10:30:00Z", "2026-05-01T10:45:00Z", "2026-05-01T11:00:00Z"}},
		{"strictly after a tick", "0 2 * * *", "UTC", "2026-05-01T02:00:00Z",
			[]string{"2026-05-02T02:00:00Z", "2026-05-03T02:00:00Z"}},
		{"one nanosecond before a tick", "0 2 * * *", "UTC", "2026-05-01T01:59:59.999999999Z",
			[]string{"2026-05-01T02:00:00Z"}},
		{"monthly across year end", "0 0 1 * *", "UTC", "2026-11-15T00:00:00Z",
			[]string{"2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"}},
		{"weekdays skip the weekend", "0 9 * * 1-5", "UTC", "2026-05-07T12:00:00Z", // Thursday
			[]string{"2026-05-08T09:00:00Z", "2026-05-11T09:00:00Z", "2026-05-12T09:00:00Z"}},
		{"day of month or day of week", "0 0 13 * 5", "UTC", "2026-02-11T00:00:00Z", // 13th or any Friday
			[]string{"2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"}},
		{"31st skips short months", "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z",
			[]string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}},
		{"leap day", "0 0 29 2 *", "UTC", "2024-03-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"leap day across 2100", "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",
			[]string{"2104-02-29T00:00:00Z"}},
		{"weekly descriptor is Sunday midnight", "@weekly", "UTC", "2026-05-06T00:00:00Z",
			[]string{"2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z"}},
		{"daily in a zone", "@daily", "Asia/Kolkata", "2026-05-01T18:00:00Z",
			[]string{"2026-05-02T00:00:00+05:30", "2026-05-03T00:00:00+05:30"}},
		{"every is anchored at the Unix epoch", "@every 6h", "Europe/Berlin", "2026-05-01T07:00:00Z",
			[]string{"2026-05-01T14:00:00+02:00", "2026-05-01T20:00:00+02:00"}},
		{"every 90m", "@every 90m", "UTC", "1970-01-01T00:00:00Z",
			[]string{"1970-01-01T01:30:00Z", "1970-01-01T03:00:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkTicks(t, mustNew(t, tc.expr, tc.zone), tm(t, tc.from), tc.want)
		})
	}
}

// checkTicks checks that Next from `from` yields want, with the offsets
// written, and that Prev walks the same ticks back.
func checkTicks(t *testing.T, s *Schedule, from time.Time, want []string) {
	t.Helper()
	var got []time.Time
	for v := from; len(got) < len(want); {
		v = s.Next(v)
		got = append(got, v)
	}
	if !slices.Equal(fmtTimes(got), want) {
		t.Fatalf("Next from %s:\n got %v\nwant %v", from.Format(time.RFC3339), fmtTimes(got), want)
	}
	for i := len(got) - 1; i >= 0; i-- {
		if p := s.Prev(got[i]); !p.Equal(got[i]) {
			t.Errorf("Prev(%s) = %s, want the tick itself", got[i].Format(time.RFC3339), p.Format(time.RFC3339))
		}
		before := s.Prev(got[i].Add(-time.Nanosecond))
		if i > 0 && !before.Equal(got[i-1]) {
			t.Errorf("Prev(%s - 1ns) = %s, want %s", got[i].Format(time.RFC3339), before.Format(time.RFC3339), got[i-1].Format(time.RFC3339))
		}
		if i == 0 && before.After(from) {
			t.Errorf("Prev(%s - 1ns) = %s, want at or before %s", got[0].Format(time.RFC3339), before.Format(time.RFC3339), from.Format(time.RFC3339))
		}
	}
}

func TestIntervalEndingAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, tick string
		want                   Interval
	}{
		{"hourly", "@hourly", "UTC", "2026-05-01T10:00:00Z", iv(t, "2026-05-01T09:00:00Z", "2026-05-01T10:00:00Z")},
		{"monthly", "0 0 1 * *", "UTC", "2026-03-01T00:00:00Z", iv(t, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")},
		{"not a tick starts at the last tick", "@hourly", "UTC", "2026-05-01T10:30:00Z", iv(t, "2026-05-01T10:00:00Z", "2026-05-01T10:30:00Z")},
		{"in the schedule's zone", "@daily", "Europe/Berlin", "2026-04-30T22:00:00Z", iv(t, "2026-04-30T00:00:00+02:00", "2026-05-01T00:00:00+02:00")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustNew(t, tc.expr, tc.zone).IntervalEndingAt(tm(t, tc.tick))
			if got.String() != tc.want.String() {
				t.Fatalf("IntervalEndingAt(%s) = %s, want %s", tc.tick, got, tc.want)
			}
		})
	}
}
