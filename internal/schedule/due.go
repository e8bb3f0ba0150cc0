package schedule

import (
	"errors"
	"fmt"
	"time"
)

// Catch-up policies, as written in a pipeline's `schedule.catchup`.
const (
	CatchupAll    = "all"
	CatchupLatest = "latest"
	CatchupNone   = "none"
)

// ErrTooManyIntervals is returned by Intervals when a range holds more
// intervals than the caller allows.
var ErrTooManyIntervals = errors.New("too many intervals")

// Due returns the intervals whose end tick is in (cursor, now], oldest
// first, as the catch-up policy allows:
//
//   - "all": every one;
//   - "latest", "" or anything else: only the newest;
//   - "none": only an interval whose end tick is at most grace before
//     now (a tick just happened), else nothing.
//
// A zero cursor means the pipeline was never scheduled: only the newest
// interval is due then, whatever the policy ("none" still applies grace).
// A cursor at or after now yields nothing. With "all", the result grows
// with the time since the cursor; the caller decides how far back a
// cursor may lag.
func (s *Schedule) Due(cursor, now time.Time, catchup string, grace time.Duration) []Interval {
	if !cursor.IsZero() && !cursor.Before(now) {
		return nil
	}
	if catchup == CatchupAll && !cursor.IsZero() {
		var out []Interval
		start := s.Prev(cursor)
		for end := s.Next(cursor); !end.IsZero() && !end.After(now); end = s.Next(end) {
			out = append(out, Interval{Start: start, End: end})
			start = end
		}
		return out
	}
	end := s.Prev(now)
	if end.IsZero() || (!cursor.IsZero() && !end.After(cursor)) {
		return nil
	}
	if catchup == CatchupNone && now.Sub(end) > max(grace, 0) {
		return nil
	}
	return []Interval{s.IntervalEndingAt(end)}
}

// Intervals enumerates the intervals of a backfill: every interval with
// Start >= from and End <= to, oldest first. It returns an error wrapping
// ErrTooManyIntervals when there are more than limit.
func (s *Schedule) Intervals(from, to time.Time, limit int) ([]Interval, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("intervals: limit must be positive, got %d", limit)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("intervals: end %s is before start %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var out []Interval
	start := s.Next(from.Add(-time.Nanosecond))
	for !start.IsZero() {
		end := s.Next(start)
		if end.IsZero() || end.After(to) {
			break
		}
		if len(out) == limit {
			return nil, fmt.Errorf("intervals from %s to %s for %q: more than %d: %w",
				from.Format(time.RFC3339), to.Format(time.RFC3339), s.expr, limit, ErrTooManyIntervals)
		}
		out = append(out, Interval{Start: start, End: end})
		start = end
	}
	return out, nil
}

// DayInterval returns the interval of one calendar day in loc (nil means
// UTC), for pipelines run by date rather than by cron. The day is date's
// year, month and day as written, in date's own location, so a date parsed
// from "2026-03-29" means 29 March wherever loc is. The interval starts at
// the day's first instant (after the gap if the clock skipped midnight) and
// ends at the next day's; it is 23 or 25 hours long on DST days.
func DayInterval(date time.Time, loc *time.Location) Interval {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := date.Date()
	return Interval{
		Start: firstAtWall(time.Date(y, m, d, 0, 0, 0, 0, time.UTC), loc),
		End:   firstAtWall(time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC), loc),
	}
}
