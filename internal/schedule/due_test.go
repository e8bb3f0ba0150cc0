package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	t.Parallel()
	const now = "2026-05-10T10:20:00Z"
	var (
		h7     = iv(t, "2026-05-10T07:00:00Z", "2026-05-10T08:00:00Z")
		h8     = iv(t, "2026-05-10T08:00:00Z", "2026-05-10T09:00:00Z")
		h9     = iv(t, "2026-05-10T09:00:00Z", "2026-05-10T10:00:00Z")
		minute = time.Minute
	)
	tests := []struct {
		name        string
		expr, zone  string // default hourly in UTC
		cursor, now string // "" cursor: never scheduled
		catchup     string
		grace       time.Duration
		want        []Interval
	}{
		{name: "all returns every missed interval", cursor: "2026-05-10T07:00:00Z", catchup: "all", want: []Interval{h7, h8, h9}},
		{name: "all from a cursor between ticks", cursor: "2026-05-10T07:30:00Z", catchup: "all", want: []Interval{h7, h8, h9}},
		{name: "latest returns the newest", cursor: "2026-05-10T07:00:00Z", catchup: "latest", want: []Interval{h9}},
		{name: "empty policy means latest", cursor: "2026-05-10T07:00:00Z", catchup: "", want: []Interval{h9}},
		{name: "unknown policy means latest", cursor: "2026-05-10T07:00:00Z", catchup: "sometimes", want: []Interval{h9}},
		{name: "none within grace", cursor: "2026-05-10T07:00:00Z", catchup: "none", grace: 30 * minute, want: []Interval{h9}},
		{name: "none past grace", cursor: "2026-05-10T07:00:00Z", catchup: "none", grace: 10 * minute},
		{name: "none exactly at grace", cursor: "2026-05-10T07:00:00Z", catchup: "none", grace: 20 * minute, want: []Interval{h9}},
		{name: "none with negative grace", cursor: "2026-05-10T09:00:00Z", now: "2026-05-10T10:00:00Z", catchup: "none", grace: -time.Hour, want: []Interval{h9}},
		{name: "nothing new since the cursor", cursor: "2026-05-10T10:00:00Z", catchup: "all"},
		{name: "cursor equals now", cursor: now, catchup: "all"},
		{name: "cursor in the future, all", cursor: "2026-05-10T12:00:00Z", catchup: "all"},
		{name: "cursor in the future, latest", cursor: "2026-05-10T12:00:00Z", catchup: "latest"},
		{name: "cursor in the future, none", cursor: "2026-05-10T12:00:00Z", catchup: "none", grace: time.Hour},
		{name: "never scheduled, all gives only the newest", catchup: "all", want: []Interval{h9}},
		{name: "never scheduled, latest", catchup: "latest", want: []Interval{h9}},
		{name: "never scheduled, none past grace", catchup: "none", grace: 5 * minute},
		{name: "never scheduled, none within grace", catchup: "none", grace: 30 * minute, want: []Interval{h9}},
		{name: "now exactly at a tick, all", cursor: "2026-05-10T08:00:00Z", now: "2026-05-10T10:00:00Z", catchup: "all", want: []Interval{h8, h9}},
		{name: "now exactly at a tick, none without grace", cursor: "2026-05-10T08:00:00Z", now: "2026-05-10T10:00:00Z", catchup: "none", want: []Interval{h9}},
		{name: "now one nanosecond before a tick", cursor: "2026-05-10T08:00:00Z", now: "2026-05-10T09:59:59.999999999Z", catchup: "all", want: []Interval{h8}},
		{name: "Berlin spring, all", expr: "30 2 * * *", zone: "Europe/Berlin", cursor: "2026-03-28T02:30:00+01:00", now: "2026-03-30T12:00:00+02:00", catchup: "all", want: []Interval{
			iv(t, "2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00"),
			iv(t, "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"),
		}},
		{name: "Berlin autumn, the repeated hour is not due again", expr: "30 2 * * *", zone: "Europe/Berlin", cursor: "2026-10-25T02:30:00+02:00", now: "2026-10-25T02:45:00+01:00", catchup: "all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expr, zone, nowS := "@hourly", "UTC", now
			if tc.expr != "" {
				expr, zone = tc.expr, tc.zone
			}
			if tc.now != "" {
				nowS = tc.now
			}
			var cursor time.Time
			if tc.cursor != "" {
				cursor = tm(t, tc.cursor)
			}
			got := mustNew(t, expr, zone).Due(cursor, tm(t, nowS), tc.catchup, tc.grace)
			if !equalIntervals(got, tc.want) {
				t.Fatalf("Due = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, from, to string
		limit                int
		want                 []Interval
		wantErr              string
	}{
		{name: "from and to between ticks", expr: "@hourly", from: "2026-05-10T10:20:00Z", to: "2026-05-10T13:10:00Z", limit: 10, want: []Interval{
			iv(t, "2026-05-10T11:00:00Z", "2026-05-10T12:00:00Z"),
			iv(t, "2026-05-10T12:00:00Z", "2026-05-10T13:00:00Z"),
		}},
		{name: "from and to on ticks are included", expr: "@hourly", from: "2026-05-10T10:00:00Z", to: "2026-05-10T12:00:00Z", limit: 10, want: []Interval{
			iv(t, "2026-05-10T10:00:00Z", "2026-05-10T11:00:00Z"),
			iv(t, "2026-05-10T11:00:00Z", "2026-05-10T12:00:00Z"),
		}},
		{name: "limit reached exactly", expr: "@hourly", from: "2026-05-10T10:00:00Z", to: "2026-05-10T12:00:00Z", limit: 2, want: []Interval{
			iv(t, "2026-05-10T10:00:00Z", "2026-05-10T11:00:00Z"),
			iv(t, "2026-05-10T11:00:00Z", "2026-05-10T12:00:00Z"),
		}},
		{name: "range shorter than an interval", expr: "@daily", from: "2026-05-10T01:00:00Z", to: "2026-05-11T23:00:00Z", limit: 10},
		{name: "empty range", expr: "@hourly", from: "2026-05-10T10:00:00Z", to: "2026-05-10T10:00:00Z", limit: 10},
		{name: "monthly", expr: "0 0 1 * *", from: "2026-01-15T00:00:00Z", to: "2026-04-01T00:00:00Z", limit: 10, want: []Interval{
			iv(t, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
			iv(t, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
		}},
		{name: "cap exceeded", expr: "*/15 * * * *", from: "2026-05-10T00:00:00Z", to: "2026-05-11T00:00:00Z", limit: 95, wantErr: "more than 95"},
		{name: "zero limit", expr: "@hourly", from: "2026-05-10T10:00:00Z", to: "2026-05-10T12:00:00Z", wantErr: "limit must be positive"},
		{name: "to before from", expr: "@hourly", from: "2026-05-10T12:00:00Z", to: "2026-05-10T10:00:00Z", limit: 10, wantErr: "before start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustNew(t, tc.expr, "UTC").Intervals(tm(t, tc.from), tm(t, tc.to), tc.limit)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalIntervals(got, tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestIntervalsCapIsErrTooManyIntervals(t *testing.T) {
	t.Parallel()
	s := mustNew(t, "@hourly", "UTC")
	_, err := s.Intervals(tm(t, "2026-01-01T00:00:00Z"), tm(t, "2027-01-01T00:00:00Z"), 100)
	if !errors.Is(err, ErrTooManyIntervals) {
		t.Fatalf("error = %v, want ErrTooManyIntervals", err)
	}
}
