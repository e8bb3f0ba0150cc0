package schedule

import (
	"math/bits"
	"time"

	"github.com/robfig/cron/v3"
)

// searchYears bounds a search for the next or previous matching wall time.
// The longest gap between matches of a schedule that fires at all is eight
// years (29 February across a century that is not a leap year).
const searchYears = 10

// starBit is how robfig/cron marks a field written as "*" (or "?"): it
// changes how day-of-month and day-of-week combine.
const starBit = 1 << 63

// fields are the parsed cron fields as bit sets, bit n set when value n
// matches. They match wall-clock times, which this package encodes as
// time.Time values in UTC whose fields are the local date and time; UTC has
// no gaps or repeats, so the search here needs no DST care.
type fields struct {
	minute, hour, dom, month, dow uint64
}

func newFields(s *cron.SpecSchedule) fields {
	return fields{
		minute: s.Minute &^ starBit,
		hour:   s.Hour &^ starBit,
		dom:    s.Dom,
		month:  s.Month &^ starBit,
		dow:    s.Dow,
	}
}

// everyHour reports whether the schedule fires in every hour of the day,
// which decides how it behaves across DST changes (see doc.go).
func (f fields) everyHour() bool { return f.hour == 1<<24-1 }

// dayMatches follows cron (and robfig/cron): when either day field is "*"
// both must match, otherwise either may.
func (f fields) dayMatches(y int, m time.Month, d int) bool {
	domOK := f.dom&(1<<d) != 0
	dowOK := f.dow&(1<<weekday(y, m, d)) != 0
	if f.dom&starBit != 0 || f.dow&starBit != 0 {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// nextWall returns the first matching wall time at or after w, or the zero
// time if there is none within searchYears.
func (f fields) nextWall(w time.Time) time.Time {
	if r := w.Truncate(time.Minute); !r.Equal(w) {
		w = r.Add(time.Minute)
	}
	y, mo, d := w.Date()
	h, mi := w.Hour(), w.Minute()
	for limit := y + searchYears; y <= limit; {
		switch {
		case f.month&(1<<mo) == 0 || d > daysIn(y, mo):
			y, mo = nextMonth(y, mo)
			d, h, mi = 1, 0, 0
		case !f.dayMatches(y, mo, d):
			d, h, mi = d+1, 0, 0
		default:
			hb := f.hour >> h
			if hb == 0 {
				d, h, mi = d+1, 0, 0
				continue
			}
			if step := bits.TrailingZeros64(hb); step > 0 {
				h, mi = h+step, 0
			}
			mb := f.minute >> mi
			if mb == 0 {
				h, mi = h+1, 0
				if h == 24 {
					d, h = d+1, 0
				}
				continue
			}
			mi += bits.TrailingZeros64(mb)
			return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
		}
	}
	return time.Time{}
}

// prevWall returns the last matching wall time at or before w, or the zero
// time if there is none within searchYears.
func (f fields) prevWall(w time.Time) time.Time {
	w = w.Truncate(time.Minute)
	y, mo, d := w.Date()
	h, mi := w.Hour(), w.Minute()
	for limit := y - searchYears; y >= limit; {
		switch {
		case f.month&(1<<mo) == 0:
			y, mo = prevMonth(y, mo)
			d, h, mi = daysIn(y, mo), 23, 59
		case !f.dayMatches(y, mo, d):
			y, mo, d = prevDay(y, mo, d)
			h, mi = 23, 59
		default:
			hb := f.hour & (1<<(h+1) - 1)
			if hb == 0 {
				y, mo, d = prevDay(y, mo, d)
				h, mi = 23, 59
				continue
			}
			if nh := 63 - bits.LeadingZeros64(hb); nh != h {
				h, mi = nh, 59
			}
			mb := f.minute & (1<<(mi+1) - 1)
			if mb == 0 {
				if h == 0 {
					y, mo, d = prevDay(y, mo, d)
					h, mi = 23, 59
				} else {
					h, mi = h-1, 59
				}
				continue
			}
			mi = 63 - bits.LeadingZeros64(mb)
			return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
		}
	}
	return time.Time{}
}

func nextMonth(y int, m time.Month) (int, time.Month) {
	if m == time.December {
		return y + 1, time.January
	}
	return y, m + 1
}

func prevMonth(y int, m time.Month) (int, time.Month) {
	if m == time.January {
		return y - 1, time.December
	}
	return y, m - 1
}

func prevDay(y int, m time.Month, d int) (int, time.Month, int) {
	if d > 1 {
		return y, m, d - 1
	}
	y, m = prevMonth(y, m)
	return y, m, daysIn(y, m)
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// weekday is Sakamoto's method: 0 is Sunday, as in cron.
func weekday(y int, m time.Month, d int) int {
	t := [...]int{0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4}
	if m < time.March {
		y--
	}
	return ((y+y/4-y/100+y/400+t[m-1]+d)%7 + 7) % 7
}
