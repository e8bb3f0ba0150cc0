package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

var propertyZones = []string{
	"UTC", "Europe/Berlin", "America/New_York",
	"Australia/Lord_Howe", // half-hour DST
	"America/Santiago",    // skips midnight
	"Asia/Kolkata",        // half-hour offset, no DST
}

var propertyExprs = []string{
	"*/15 * * * *", "0 2 * * *", "30 2 * * *", "0 0 1 * *", "0 9 * * 1-5",
	"@hourly", "0 */2 * * *", "30 23 * * *", "@every 90m",
}

// followsClock lists the expressions above that fire every hour, which
// follow the clock across DST changes (see doc.go).
var followsClock = map[string]bool{"*/15 * * * *": true, "@hourly": true}

// TestProperties checks, over random instants with a fixed seed, that
// Next, Prev, IntervalEndingAt, Due and Intervals agree with each other.
func TestProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, zone := range propertyZones {
		loc := mustLoc(t, zone)
		instants := randomInstants(r, loc, 2000/len(propertyZones))
		for _, expr := range propertyExprs {
			s := mustNew(t, expr, zone)
			for _, at := range instants {
				checkAgreement(t, s, at)
			}
		}
	}
}

func checkAgreement(t *testing.T, s *Schedule, at time.Time) {
	t.Helper()
	n, p := s.Next(at), s.Prev(at)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s in %s at %s (Next %s, Prev %s): "+format, append([]any{s, s.loc, at.Format(time.RFC3339Nano),
			n.Format(time.RFC3339), p.Format(time.RFC3339)}, args...)...)
	}
	switch {
	case n.IsZero() || p.IsZero():
		fail("no tick")
	case !n.After(at) || p.After(at):
		fail("want Prev <= t < Next")
	case n.Location() != s.loc || p.Location() != s.loc:
		fail("ticks not in the schedule's zone")
	case n.Second() != 0 || n.Nanosecond() != 0:
		fail("tick not on a whole minute")
	case !s.Prev(n).Equal(n):
		fail("Prev(Next(t)) = %s", s.Prev(n))
	case !s.Next(p).Equal(n):
		fail("Next(Prev(t)) = %s", s.Next(p))
	case !s.Prev(n.Add(-time.Nanosecond)).Equal(p):
		fail("Prev(Next(t) - 1ns) = %s", s.Prev(n.Add(-time.Nanosecond)))
	case !s.Next(n.Add(-time.Nanosecond)).Equal(n):
		fail("Next(Next(t) - 1ns) = %s", s.Next(n.Add(-time.Nanosecond)))
	}
	want := []Interval{{Start: p, End: n}}
	if got := s.IntervalEndingAt(n); !equalIntervals([]Interval{got}, want) {
		fail("IntervalEndingAt(Next) = %s", got)
	}
	if got := s.Due(p, at, CatchupAll, 0); len(got) != 0 {
		fail("Due(Prev, t) = %v, want nothing", got)
	}
	if got := s.Due(p, n, CatchupAll, 0); !equalIntervals(got, want) {
		fail("Due(Prev, Next, all) = %v", got)
	}
	if got := s.Due(time.Time{}, n, CatchupNone, 0); !equalIntervals(got, want) {
		fail("Due(zero, Next, none) = %v", got)
	}
	if got, err := s.Intervals(p, n, 1); err != nil || !equalIntervals(got, want) {
		fail("Intervals(Prev, Next) = %v, %v", got, err)
	}
}

// TestTicksMatchOracle compares the ticks near DST changes with a brute
// force that steps through time minute by minute, reading the clock with
// the time package and matching with robfig/cron in UTC (which has no DST
// for it to get wrong).
func TestTicksMatchOracle(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const window = 8 * time.Hour
	for _, zone := range propertyZones {
		loc := mustLoc(t, zone)
		instants := randomInstants(r, loc, 60)
		for _, expr := range propertyExprs[:len(propertyExprs)-1] { // not @every
			s := mustNew(t, expr, zone)
			for _, at := range instants {
				from, to := at.Add(-window), at.Add(window)
				want := oracleTicks(t, expr, followsClock[expr], loc, from, to)
				var got []time.Time
				for x := s.Next(from.Add(-time.Nanosecond)); !x.After(to); x = s.Next(x) {
					got = append(got, x)
				}
				if !slices.Equal(fmtTimes(got), fmtTimes(want)) {
					t.Fatalf("%s in %s from %s to %s:\n got %v\nwant %v", expr, zone,
						from.Format(time.RFC3339), to.Format(time.RFC3339), fmtTimes(got), fmtTimes(want))
				}
			}
		}
	}
}

// oracleTicks lists the ticks in [from, to] by the rules in doc.go: a
// schedule that fires every hour ticks whenever the clock shows a
// matching time; any other ticks at the first instant the clock shows a
// matching time or later.
func oracleTicks(t *testing.T, expr string, clock bool, loc *time.Location, from, to time.Time) []time.Time {
	t.Helper()
	utc, err := spec.CronParser.Parse("TZ=UTC " + expr)
	if err != nil {
		t.Fatal(err)
	}
	wallOf := func(u time.Time) time.Time {
		l := u.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
	}
	start := from.Add(-4 * time.Hour).Truncate(time.Minute)
	matches := map[time.Time]bool{}
	for w := utc.Next(wallOf(start).Add(-3 * time.Hour)); w.Before(wallOf(to).Add(3 * time.Hour)); w = utc.Next(w) {
		matches[w] = true
	}
	var ticks []time.Time
	highWater := wallOf(start).Add(-time.Minute) // latest wall time shown so far
	for u := start; !u.After(to); u = u.Add(time.Minute) {
		w := wallOf(u)
		tick := clock && matches[w]
		if !clock {
			for x := highWater.Add(time.Minute); !x.After(w); x = x.Add(time.Minute) {
				tick = tick || matches[x]
			}
		}
		highWater = later(highWater, w)
		if tick && !u.Before(from) {
			ticks = append(ticks, u.In(loc))
		}
	}
	return ticks
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// randomInstants returns n instants, half anywhere in 2000–2040 and half
// within six hours of one of loc's clock changes, a third of them on a
// whole minute.
func randomInstants(r *rand.Rand, loc *time.Location, n int) []time.Time {
	var changes []time.Time
	for x := time.Date(2020, 1, 1, 0, 0, 0, 0, loc); x.Year() < 2032; {
		_, end := x.ZoneBounds()
		if end.IsZero() {
			break
		}
		changes = append(changes, end)
		x = end
	}
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	out := make([]time.Time, n)
	for i := range out {
		var v time.Time
		if i%2 == 0 || len(changes) == 0 {
			v = time.Unix(lo+r.Int64N(hi-lo), r.Int64N(int64(time.Second)))
		} else {
			c := changes[r.IntN(len(changes))]
			v = c.Add(time.Duration(r.Int64N(int64(12*time.Hour))) - 6*time.Hour)
		}
		if r.IntN(3) == 0 {
			v = v.Truncate(time.Minute)
		}
		out[i] = v.In(loc)
	}
	return out
}
