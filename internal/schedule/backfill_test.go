package schedule

import (
	"slices"
	"testing"
	"time"
)

// A backfill plans the intervals that start in its range, whatever the
// bounds' zones, with a schedule or one per day without: never a day that
// ends before --from, nor one after --to.
func TestBackfillIntervals(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	daily, err := New("0 0 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		s        *Schedule
		loc      *time.Location
		from, to string
		want     []string // starts, RFC 3339 in UTC
	}{
		{"days in New York, from an instant in UTC", nil, ny, "2026-03-10T02:00:00Z", "2026-03-11",
			[]string{"2026-03-10T04:00:00Z", "2026-03-11T04:00:00Z"}},
		{"days in UTC, from an instant with an offset: no day starts in the range", nil, time.UTC, "2026-03-10T20:00:00-05:00", "2026-03-11",
			nil},
		{"no cron and a daily cron agree between instants", nil, time.UTC, "2026-03-10T06:00", "2026-03-11T06:00",
			[]string{"2026-03-11T00:00:00Z"}},
		{"a daily cron between instants", daily, time.UTC, "2026-03-10T06:00", "2026-03-11T06:00",
			[]string{"2026-03-11T00:00:00Z"}},
		{"one day, by date", nil, ny, "2026-11-01", "2026-11-01", []string{"2026-11-01T04:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, _, err := BackfillBound(tc.from, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			_, end, err := BackfillBound(tc.to, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			ivs, err := BackfillIntervals(tc.s, tc.loc, from, end, 100)
			var got []string
			for _, iv := range ivs {
				got = append(got, iv.Start.UTC().Format(time.RFC3339))
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
