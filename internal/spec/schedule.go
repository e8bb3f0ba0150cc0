package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve the same on every machine

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// CronParser is the parser schedules are validated with: five fields
// (minute hour day-of-month month day-of-week) or a descriptor such as
// @daily, @hourly or @every 15m.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var catchups = []string{"all", "latest", "none"}

func (d *decoder) schedule(n *yaml.Node, path string) *Schedule {
	fields, ok := d.mapping(n, path, []string{"cron", "timezone", "after", "catchup"})
	if !ok {
		return nil
	}
	s := &Schedule{Location: time.UTC}
	for _, f := range fields {
		switch f.Key {
		case "cron":
			s.Cron, _ = d.cron(f.Value, f.Path)
		case "timezone":
			s.Timezone, s.Location = d.timezone(f.Value, f.Path)
		case "after":
			s.After = d.strList(f.Value, f.Path, nameRe, "pipeline name")
		case "catchup":
			s.Catchup, _ = d.oneOf(f.Value, f.Path, catchups)
		}
	}
	_, hasCron := d.pos[join(path, "cron")]
	_, hasAfter := d.pos[join(path, "after")]
	if !hasCron && !hasAfter {
		d.errorf(n, path, "needs `cron:`, `after:` or both")
	}
	return s
}

func (d *decoder) cron(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		d.errorf(n, path, "invalid cron %q: set the zone with `timezone:` instead", clip(s))
		return "", false
	}
	if _, err := CronParser.Parse(s); err != nil {
		hint := ""
		if len(strings.Fields(s)) == 6 {
			hint = "five fields: minute hour day-of-month month day-of-week"
		}
		d.hintf(n, path, hint, "invalid cron %q: %v", clip(s), err)
		return "", false
	}
	return s, true
}

// commonZones feed the did-you-mean hint for time zones.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris",
	"Europe/Berlin", "Europe/Amsterdam", "Europe/Brussels", "Europe/Madrid",
	"Europe/Rome", "Europe/Vienna", "Europe/Zurich", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw",
	"Europe/Prague", "Europe/Athens", "Europe/Istanbul", "Europe/Moscow",
	"Europe/Kyiv", "America/New_York", "America/Chicago", "America/Denver",
	"America/Los_Angeles", "America/Phoenix", "America/Toronto",
	"America/Vancouver", "America/Mexico_City", "America/Sao_Paulo",
	"America/Buenos_Aires", "America/Bogota", "America/Lima",
	"Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Hong_Kong",
	"Asia/Singapore", "Asia/Kolkata", "Asia/Dubai", "Asia/Jakarta",
	"Asia/Bangkok", "Asia/Manila", "Asia/Tel_Aviv", "Australia/Sydney",
	"Australia/Melbourne", "Australia/Perth", "Pacific/Auckland",
	"Africa/Johannesburg", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
}

func (d *decoder) timezone(n *yaml.Node, path string) (string, *time.Location) {
	s, ok := d.str(n, path)
	if !ok {
		return "", time.UTC
	}
	if s == "Local" {
		d.errorf(n, path, "time zone \"Local\" depends on the machine; name a zone such as Europe/Berlin or UTC")
		return "", time.UTC
	}
	loc, err := time.LoadLocation(s)
	if err != nil || strings.ContainsAny(s, " \\") {
		d.hintf(n, path, zoneHint(s), "unknown time zone %q", clip(s))
		return "", time.UTC
	}
	return s, loc
}

func zoneHint(s string) string {
	for _, z := range commonZones {
		if strings.EqualFold(z, s) {
			return fmt.Sprintf("did you mean %q?", z)
		}
	}
	return didYouMean(s, commonZones)
}

var deadlineRe = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

func (d *decoder) sla(n *yaml.Node, path string) SLA {
	var s SLA
	fields, _ := d.mapping(n, path, []string{"deadline", "freshness"})
	for _, f := range fields {
		switch f.Key {
		case "deadline":
			v, ok := d.scalar(f.Value, f.Path, `a time of day like "06:00"`)
			if ok && !deadlineRe.MatchString(v) {
				d.errorf(f.Value, f.Path, "invalid deadline %q: want HH:MM, 00:00 to 23:59", clip(v))
			} else if ok {
				s.Deadline = v
			}
		case "freshness":
			s.Freshness, _ = d.duration(f.Value, f.Path)
		}
	}
	return s
}

var percentRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)%$`)

func (d *decoder) monitoring(n *yaml.Node, path string) Monitoring {
	var m Monitoring
	fields, _ := d.mapping(n, path, []string{"row_counts", "degradation"})
	for _, f := range fields {
		switch f.Key {
		case "row_counts":
			m.RowCounts = d.rowCounts(f.Value, f.Path)
		case "degradation":
			m.Degradation = d.degradation(f.Value, f.Path)
		}
	}
	return m
}

func (d *decoder) degradation(n *yaml.Node, path string) Degradation {
	var g Degradation
	fields, _ := d.mapping(n, path, []string{"duration_factor", "window", "retry_rate", "retry_window"})
	for _, f := range fields {
		switch f.Key {
		case "duration_factor":
			g.DurationFactor, _ = d.factor(f.Value, f.Path)
		case "window":
			g.Window, _ = d.smallInt(f.Value, f.Path, 2)
		case "retry_rate":
			g.RetryRate, _ = d.fraction(f.Value, f.Path)
		case "retry_window":
			g.RetryWindow, _ = d.duration(f.Value, f.Path)
		}
	}
	return g
}

// factor decodes a number above 1, such as 1.5.
func (d *decoder) factor(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		d.errorf(n, path, "expected a number above 1, such as 2 or 1.5, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || v <= 1 || v > 1000 {
		d.errorf(n, path, "must be above 1 and at most 1000, got %s", clip(n.Value))
		return 0, false
	}
	return v, true
}

func (d *decoder) rowCounts(n *yaml.Node, path string) *RowCounts {
	fields, ok := d.mapping(n, path, []string{"task", "min", "max_drop", "window"})
	if !ok {
		return nil
	}
	rc := &RowCounts{}
	for _, f := range fields {
		switch f.Key {
		case "task":
			rc.Task, _ = d.strMatching(f.Value, f.Path, nameRe, "task id")
		case "min":
			rc.Min, _ = d.integer(f.Value, f.Path, 0)
		case "max_drop":
			rc.MaxDrop, _ = d.percent(f.Value, f.Path)
		case "window":
			rc.Window, _ = d.smallInt(f.Value, f.Path, 1)
		}
	}
	if _, ok := d.pos[join(path, "task")]; !ok {
		d.errorf(n, path, "missing `task:` (the task whose `rows` output is watched)")
	}
	return rc
}

func (d *decoder) percent(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path, `a percentage like "50%"`)
	if !ok {
		return 0, false
	}
	m := percentRe.FindStringSubmatch(s)
	if m == nil {
		hint := ""
		if n.Tag == "!!int" || n.Tag == "!!float" {
			hint = fmt.Sprintf("write %q", s+"%")
		}
		d.hintf(n, path, hint, "invalid percentage %q", clip(s))
		return 0, false
	}
	var v float64
	if _, err := fmt.Sscan(m[1], &v); err != nil || v <= 0 || v > 100 {
		d.errorf(n, path, "must be more than 0%% and at most 100%%, got %s", clip(s))
		return 0, false
	}
	return v / 100, true
}
