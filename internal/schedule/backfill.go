package schedule

import (
	"fmt"
	"time"
)

// BackfillBound reads a backfill's --from or --to in loc: a day, whose
// intervals count up to its end (end), or an instant (2026-11-01T06:00,
// or RFC 3339), which ends the range itself: intervals start before it.
func BackfillBound(s string, loc *time.Location) (t, end time.Time, err error) {
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d, DayInterval(d, loc).End, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, t, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD, YYYY-MM-DDTHH:MM (in the pipeline's time zone) or RFC 3339", s)
}

// BackfillIntervals are the intervals a backfill from from to end (as
// BackfillBound reads them) creates: every interval of s that starts in
// [from, end), or with no schedule (s nil) every day of loc that starts
// in [from, end). More than
// limit is ErrTooManyIntervals.
func BackfillIntervals(s *Schedule, loc *time.Location, from, end time.Time, limit int) ([]Interval, error) {
	var ivs []Interval
	add := func(iv Interval) error {
		if len(ivs) == limit {
			return fmt.Errorf("%w: more than %d", ErrTooManyIntervals, limit)
		}
		ivs = append(ivs, iv)
		return nil
	}
	if s != nil {
		for t := s.Next(from.Add(-time.Nanosecond)); t.Before(end); t = s.Next(t) {
			if err := add(Interval{Start: t, End: s.Next(t)}); err != nil {
				return nil, err
			}
		}
		return ivs, nil
	}
	// The days (in loc) that start in [from, end), as with a schedule.
	f := from.In(loc)
	d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	if d.Before(from) {
		d = time.Date(f.Year(), f.Month(), f.Day()+1, 0, 0, 0, 0, loc)
	}
	for ; d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		if err := add(DayInterval(d, loc)); err != nil {
			return nil, err
		}
	}
	return ivs, nil
}
