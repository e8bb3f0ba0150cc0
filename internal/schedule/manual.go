package schedule

import (
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// ManualInterval returns the interval a run covers when whoever starts it
// names none: `gantry run` without --date or --interval-*, `gantry trigger`
// (and the API's trigger) likewise, and every staging integration run,
// local or on a server. It is the interval a scheduled run would have
// covered last:
//
//   - with a cron, the last complete interval at now: [Prev(Prev(now)),
//     Prev(now)) in the schedule's zone, the one whose tick is the latest
//     at or before now;
//   - without one (no schedule, or schedule.after alone), the previous
//     calendar day in the pipeline's zone (UTC when it names none), as
//     DayInterval spans it.
//
// ps is the pipeline's parsed schedule, nil when it has none. The error is
// schedule.New's, for a cron the spec accepts but this package refuses.
func ManualInterval(ps *spec.Schedule, now time.Time) (Interval, error) {
	loc := time.UTC
	if ps != nil && ps.Location != nil {
		loc = ps.Location
	}
	if ps == nil || ps.Cron == "" {
		return previousDay(now, loc), nil
	}
	s, err := New(ps.Cron, loc)
	if err != nil {
		return Interval{}, err
	}
	return s.lastInterval(now), nil
}

// lastInterval is the last complete interval at now. A schedule with no
// tick in the ten years searched falls back to the previous day, so a
// manual run still gets an interval.
func (s *Schedule) lastInterval(now time.Time) Interval {
	end := s.Prev(now)
	if end.IsZero() {
		return previousDay(now, s.loc)
	}
	iv := s.IntervalEndingAt(end)
	if iv.Start.IsZero() {
		return previousDay(now, s.loc)
	}
	return iv
}

// previousDay is the calendar day before now's, in loc.
func previousDay(now time.Time, loc *time.Location) Interval {
	n := now.In(loc)
	return DayInterval(time.Date(n.Year(), n.Month(), n.Day()-1, 0, 0, 0, 0, time.UTC), loc)
}
