package runbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// scheduleWords says when p runs.
func scheduleWords(p *spec.Pipeline) string {
	s := p.Schedule
	if s == nil || (s.Cron == "" && len(s.After) == 0) {
		return fmt.Sprintf("none: it runs when triggered (`gantry trigger %s`) and in a deploy's staging run", p.Name)
	}
	var parts []string
	if s.Cron != "" {
		zone := s.Timezone
		if zone == "" {
			zone = "UTC"
		}
		parts = append(parts, fmt.Sprintf("%s (%s; cron `%s`)", cronWords(s.Cron), zone, s.Cron))
	}
	if len(s.After) > 0 {
		parts = append(parts, "once "+list(s.After, "`")+" succeeded for the same interval")
	}
	catchup := s.Catchup
	if catchup == "" {
		catchup = "latest"
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; missed intervals: catchup %s", catchup)
}

var weekdays = map[string]string{"0": "Sunday", "1": "Monday", "2": "Tuesday", "3": "Wednesday", "4": "Thursday", "5": "Friday", "6": "Saturday", "7": "Sunday"}

// cronWords reads the common cron shapes; others are left to the
// expression shown beside.
func cronWords(expr string) string {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "on its cron schedule"
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	at := func() string { return fmt.Sprintf("%02s:%02s", hour, minute) }
	plain := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	switch {
	case strings.HasPrefix(minute, "*/") && hour == "*" && dom == "*" && month == "*" && dow == "*":
		return "every " + strings.TrimPrefix(minute, "*/") + " minutes"
	case plain(minute) && hour == "*" && dom == "*" && month == "*" && dow == "*":
		return fmt.Sprintf("every hour at minute %s", minute)
	case plain(minute) && plain(hour) && dom == "*" && month == "*" && dow == "*":
		return "every day at " + at()
	case plain(minute) && plain(hour) && dom == "*" && month == "*" && weekdays[dow] != "":
		return "every " + weekdays[dow] + " at " + at()
	case plain(minute) && plain(hour) && dom == "*" && month == "*" && dow == "1-5":
		return "every weekday at " + at()
	case plain(minute) && plain(hour) && plain(dom) && month == "*" && dow == "*":
		return "on day " + dom + " of every month at " + at()
	}
	return "on its cron schedule"
}

// retryWords says how a task is retried.
func retryWords(r *spec.Retries) string {
	if r == nil || r.Attempts <= 1 {
		return "no retries: one attempt"
	}
	backoff := r.Backoff
	if backoff == "" {
		backoff = "exponential"
	}
	initial := r.Initial
	if initial == 0 {
		initial = time.Second
	}
	s := fmt.Sprintf("%d attempts, %s back-off from %s", r.Attempts, backoff, dur(initial))
	if r.Max > 0 {
		s += " up to " + dur(r.Max)
	}
	if r.Jitter > 0 {
		s += fmt.Sprintf(" (±%.0f%% jitter)", r.Jitter*100)
	}
	return s
}

// dur writes a duration as a person does: 90s, 2m, 1h30m, 26h.
func dur(d time.Duration) string {
	s := d.String()
	for _, z := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z[1:])
		}
	}
	return s
}

func memory(b int64) string {
	if b <= 0 {
		return "no limit"
	}
	return spec.FormatSize(b)
}

// list joins names in quote marks: `a`, `b` and `c`.
func list(names []string, q string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = q + n + q
	}
	switch len(quoted) {
	case 0:
		return "none"
	case 1:
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}
