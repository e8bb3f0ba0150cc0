package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gantryhq/gantry/internal/spec"
)

// Interval is a logical interval [Start, End) in the schedule's zone. The
// run for it is due at End.
type Interval struct {
	Start, End time.Time
}

// String formats the interval as "[start, end)" in RFC 3339, for logs and
// messages.
func (i Interval) String() string {
	return "[" + i.Start.Format(time.RFC3339) + ", " + i.End.Format(time.RFC3339) + ")"
}

// Schedule is a cron expression in a time zone. It is immutable and safe
// for concurrent use.
type Schedule struct {
	expr string
	loc  *time.Location
	f    fields
	// clock is set for schedules that fire every hour: they follow the
	// clock across DST changes instead of firing once per wall time.
	clock bool
	every time.Duration // @every; zero for cron fields
}

// New returns the schedule for a cron expression as spec.CronParser reads
// it (five fields, or a descriptor such as @daily, @hourly or @every 15m)
// in loc; nil means UTC.
func New(expr string, loc *time.Location) (*Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errors.New("empty cron expression")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("invalid cron %q: give the time zone as the location, not in the expression", expr)
	}
	parsed, err := spec.CronParser.Parse(expr)
	if err != nil {
		if len(strings.Fields(expr)) == 6 {
			return nil, fmt.Errorf("invalid cron %q: %w (five fields: minute hour day-of-month month day-of-week)", expr, err)
		}
		return nil, fmt.Errorf("invalid cron %q: %w", expr, err)
	}
	s := &Schedule{expr: expr, loc: loc}
	switch c := parsed.(type) {
	case *cron.SpecSchedule:
		s.f = newFields(c)
		s.clock = s.f.everyHour()
		if s.f.nextWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
			return nil, fmt.Errorf("invalid cron %q: never fires (no calendar date matches its day of month and month)", expr)
		}
	case cron.ConstantDelaySchedule:
		// robfig/cron turns a duration below one second, even a negative
		// one, into one second; a typo should not become a run per second.
		d, _ := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(expr, "@every")))
		if d < time.Second {
			return nil, fmt.Errorf("invalid cron %q: @every needs a duration of at least 1s", expr)
		}
		s.every = c.Delay
	default:
		return nil, fmt.Errorf("invalid cron %q: unsupported schedule type %T", expr, parsed)
	}
	return s, nil
}

// String returns the cron expression.
func (s *Schedule) String() string { return s.expr }

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first tick strictly after t, in the schedule's zone, or
// the zero time if there is none within ten years.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		d := int64(s.every / time.Second)
		return time.Unix((floorDiv(t.Unix(), d)+1)*d, 0).In(s.loc)
	}
	return s.atOrAfter(t.Add(time.Nanosecond)).In(s.loc)
}

// Prev returns the last tick at or before t, in the schedule's zone, or
// the zero time if there is none within ten years.
func (s *Schedule) Prev(t time.Time) time.Time {
	if s.every > 0 {
		d := int64(s.every / time.Second)
		return time.Unix(floorDiv(t.Unix(), d)*d, 0).In(s.loc)
	}
	return s.atOrBefore(t).In(s.loc)
}

// IntervalEndingAt returns [previous tick, tick). tick should be a tick of
// s; for any other instant the interval still ends there and starts at the
// last tick before it.
func (s *Schedule) IntervalEndingAt(tick time.Time) Interval {
	return Interval{Start: s.Prev(tick.Add(-time.Nanosecond)), End: tick.In(s.loc)}
}

// atOrAfter returns the first tick at or after x. It walks the zone's
// periods of constant offset, starting with the one holding x.
func (s *Schedule) atOrAfter(x time.Time) time.Time {
	for range maxPeriods {
		p := periodAt(x.In(s.loc))
		if !p.start.Before(x) && s.firesInGap(p) {
			return p.start
		}
		lo := p.wall(x)
		if fw := p.firstWall(); !s.clock && lo.Before(fw) {
			lo = fw
		}
		w := s.f.nextWall(lo)
		if w.IsZero() {
			return time.Time{}
		}
		if u := p.instant(w); p.end.IsZero() || u.Before(p.end) {
			return u
		}
		x = p.end
	}
	return time.Time{}
}

// atOrBefore returns the last tick at or before y, walking the zone's
// periods backwards.
func (s *Schedule) atOrBefore(y time.Time) time.Time {
	for range maxPeriods {
		p := periodAt(y.In(s.loc))
		w := s.f.prevWall(p.wall(y))
		if w.IsZero() {
			return time.Time{}
		}
		if p.start.IsZero() {
			return p.instant(w)
		}
		lo := p.wall(p.start)
		if !s.clock {
			lo = p.firstWall()
		}
		if !w.Before(lo) {
			return p.instant(w)
		}
		if s.firesInGap(p) {
			return p.start
		}
		y = p.start.Add(-time.Nanosecond)
	}
	return time.Time{}
}

// firesInGap reports whether a time-of-day schedule has a wall time in the
// gap the clock skipped when p began: it then fires at p's start, the
// first instant after the gap.
func (s *Schedule) firesInGap(p period) bool {
	if s.clock {
		return false
	}
	lo, hi, ok := p.gap()
	if !ok {
		return false
	}
	w := s.f.nextWall(lo)
	return !w.IsZero() && w.Before(hi)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
