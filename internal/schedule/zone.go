package schedule

import "time"

// maxPeriods bounds the walk over a zone's periods of constant offset. A
// search never needs more than the periods of searchYears, even in zones
// that change their clocks four times a year.
const maxPeriods = 8 * searchYears

// A period is a stretch of time in which a zone's UTC offset is constant.
// Within it the wall clock is the instant plus the offset, so matching a
// cron expression is plain calendar arithmetic; DST lives at the edges.
type period struct {
	start, end time.Time // [start, end); zero when unbounded
	off        int       // seconds east of UTC
	prevOff    int       // offset just before start; off when start is zero
}

// periodAt returns the period holding t, which must be in the zone's location.
func periodAt(t time.Time) period {
	start, end := t.ZoneBounds()
	_, off := t.Zone()
	prev := off
	if !start.IsZero() {
		_, prev = start.Add(-time.Nanosecond).Zone()
	}
	return period{start: start, end: end, off: off, prevOff: prev}
}

func (p period) contains(u time.Time) bool {
	return (p.start.IsZero() || !u.Before(p.start)) && (p.end.IsZero() || u.Before(p.end))
}

// wall returns the wall clock at instant u (in p) encoded in UTC.
func (p period) wall(u time.Time) time.Time {
	return u.UTC().Add(time.Duration(p.off) * time.Second)
}

// instant returns the instant at which p's clock shows wall w.
func (p period) instant(w time.Time) time.Time {
	return w.Add(-time.Duration(p.off) * time.Second)
}

// gap returns the wall times [lo, hi) the clock skipped when p began, if
// it sprang forward.
func (p period) gap() (lo, hi time.Time, ok bool) {
	if p.start.IsZero() || p.prevOff >= p.off {
		return time.Time{}, time.Time{}, false
	}
	return p.start.UTC().Add(time.Duration(p.prevOff) * time.Second), p.wall(p.start), true
}

// firstWall returns the earliest wall time whose first occurrence is in p:
// after a fall back, the repeated wall times first occurred in the
// previous period.
func (p period) firstWall() time.Time {
	if p.prevOff > p.off {
		return p.start.UTC().Add(time.Duration(p.prevOff) * time.Second)
	}
	return p.wall(p.start)
}

// firstAtWall returns the first instant at which loc's clock shows w (a
// wall time encoded in UTC) or later: w itself when it occurs (its first
// occurrence when it occurs twice), the end of the gap when the clock
// skipped it.
func firstAtWall(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	guess := time.Date(y, mo, d, w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	p := periodAt(guess)
	var best time.Time
	consider := func(q period) {
		u := q.instant(w)
		if !q.start.IsZero() && u.Before(q.start) {
			u = q.start
		}
		if q.contains(u) && (best.IsZero() || u.Before(best)) {
			best = u
		}
	}
	if !p.start.IsZero() {
		consider(periodAt(p.start.Add(-time.Nanosecond)))
	}
	consider(p)
	if !p.end.IsZero() {
		consider(periodAt(p.end))
	}
	return best.In(loc)
}
