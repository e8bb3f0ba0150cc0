package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // zones resolve the same on every machine
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustNew(t testing.TB, expr, zone string) *Schedule {
	t.Helper()
	s, err := New(expr, mustLoc(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tm parses an RFC 3339 time; the offset written is the one expected.
func tm(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fmtTimes(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, v := range ts {
		out[i] = v.Format(time.RFC3339)
	}
	return out
}

func equalIntervals(a, b []Interval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}

// iv builds an interval from two RFC 3339 times.
func iv(t testing.TB, start, end string) Interval {
	t.Helper()
	return Interval{Start: tm(t, start), End: tm(t, end)}
}
