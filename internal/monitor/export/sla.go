package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

const day = 24 * time.Hour

// deadlineAge turns p's sla.deadline into the age of the last succeeded
// interval's end past which the deadline has been missed: 24h plus the
// time from the daily tick to the deadline. It returns 0 and a note for
// the file header when p has a deadline no age can express.
func deadlineAge(p *spec.Pipeline) (time.Duration, string) {
	if p.SLA.Deadline == "" {
		return 0, ""
	}
	skip := func(why string) (time.Duration, string) {
		return 0, fmt.Sprintf("%s sla.deadline %s: %s", p.Name, p.SLA.Deadline, why)
	}
	dl, ok := clock(p.SLA.Deadline)
	if !ok {
		return skip("not HH:MM")
	}
	if p.Schedule == nil || p.Schedule.Cron == "" {
		return skip("no cron schedule, so no interval is due by a time of day")
	}
	tick, ok := dailyTick(p.Schedule.Cron)
	if !ok {
		return skip(fmt.Sprintf("schedule %q is not one tick a day", p.Schedule.Cron))
	}
	lead := (dl - tick + day) % day
	if lead == 0 {
		// A deadline at the tick itself is for the interval that tick closes
		// the next day; anything else would fire on every tick.
		lead = day
	}
	return day + lead, ""
}

// dailyTick returns the time of day of a cron schedule that ticks exactly
// once every day: "M H * * *", @daily or @midnight.
func dailyTick(expr string) (time.Duration, bool) {
	switch strings.TrimSpace(expr) {
	case "@daily", "@midnight":
		return 0, true
	}
	f := strings.Fields(expr)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" || f[4] != "*" {
		return 0, false
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// clock parses "HH:MM" into a time of day.
func clock(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}
