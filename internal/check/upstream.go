package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// checkUpstreams flags a scheduled pipeline that consumes a dataset
// another pipeline produces without waiting for that pipeline.
func (r *run) checkUpstreams() {
	producers := map[string][]*spec.Pipeline{}
	for _, p := range r.pipelines {
		for _, d := range p.Produces {
			producers[d] = append(producers[d], p)
		}
	}
	for _, p := range r.pipelines {
		if p.Schedule == nil || p.Schedule.Cron == "" {
			continue // run by hand or only after upstreams: nothing to race
		}
		for i, d := range p.Consumes {
			for _, q := range producers[d] {
				if q == p || slices.Contains(p.Schedule.After, q.Name) {
					continue
				}
				msg := fmt.Sprintf("pipeline %q consumes %s, which %q produces, but does not list %q in schedule.after", p.Name, d, q.Name, q.Name)
				paths := []string{fmt.Sprintf("consumes[%d]", i), "consumes"}
				if q.Schedule != nil {
					if off, ok := cronOffset(q.Schedule.Cron, p.Schedule.Cron); ok && q.Schedule.Timezone == p.Schedule.Timezone {
						msg = fmt.Sprintf("pipeline %q relies on a fixed cron offset (%s after %q) to read %s; it should wait for %q with schedule.after",
							p.Name, off, q.Name, d, q.Name)
						paths = append([]string{"schedule.cron"}, paths...)
					}
				}
				f := r.at(p, RuleDeclaredUpstream, spec.Pos{}, msg, paths...)
				f.Fix = fmt.Sprintf("add schedule: {after: [%s]}", q.Name)
				r.add(f)
			}
		}
	}
}

// cronOffset reports whether cron b fires a fixed time after cron a on
// the same days: both fix minute and hour, and share the day fields.
func cronOffset(a, b string) (string, bool) {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != 5 || len(fb) != 5 || strings.Join(fa[2:], " ") != strings.Join(fb[2:], " ") {
		return "", false
	}
	ma, ok1 := minuteOfDay(fa)
	mb, ok2 := minuteOfDay(fb)
	if !ok1 || !ok2 || mb <= ma {
		return "", false
	}
	d := mb - ma
	switch {
	case d%60 == 0:
		return fmt.Sprintf("%dh", d/60), true
	case d > 60:
		return fmt.Sprintf("%dh%dm", d/60, d%60), true
	}
	return fmt.Sprintf("%dm", d), true
}

func minuteOfDay(f []string) (int, bool) {
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return h*60 + m, true
}
