package readiness

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
)

// backfillDays is the range a backfill command with placeholders for its
// dates is dry-run over: the last few days.
const backfillDays = 3

// maxPlanned bounds a dry run.
const maxPlanned = 1000

// backfill finds the runbook's backfill procedure — a `gantry backfill
// PIPELINE` command, in a section whose heading says backfill when there
// is one — and dry-runs it: the runs it would create over its --from and
// --to (over the last days when they are placeholders).
func (a *assessment) backfill(context.Context) error {
	p := a.in.Pipeline
	b := &a.r.Backfill
	b.Runbook = p.Runbook
	if p.Runbook == "" || a.in.Runbook == nil {
		a.r.fail(CritBackfill, "no runbook: the backfill procedure belongs in the runbook the pipeline names")
		a.r.summarize(CritBackfill, "no runbook")
		return nil
	}
	section, cmd, ok := backfillCommand(a.in.Runbook, p)
	if !ok {
		a.r.fail(CritBackfill, fmt.Sprintf("runbook %s has no `gantry backfill %s --from ... --to ...` command (in a section headed Backfill)", p.Runbook, p.Name))
		a.r.summarize(CritBackfill, "no backfill procedure")
		return nil
	}
	b.Section, b.Command = section, strings.Join(cmd, " ")
	from, to, placeholder, err := backfillRange(cmd, a.in.Now, a.loc())
	if err != nil {
		a.r.fail(CritBackfill, fmt.Sprintf("runbook %s: `%s`: %v", p.Runbook, b.Command, err))
		a.r.summarize(CritBackfill, "backfill command does not parse")
		return nil
	}
	ivs, err := a.plan(from, to)
	if err != nil {
		a.r.fail(CritBackfill, fmt.Sprintf("runbook %s: dry run of `%s`: %v", p.Runbook, b.Command, err))
		return nil
	}
	for _, iv := range ivs {
		b.Intervals = append(b.Intervals, Interval{Start: iv.Start.UTC(), End: iv.End.UTC()})
	}
	b.Planned = len(ivs)
	over := fmt.Sprintf("%s to %s", from, to)
	if placeholder {
		over += " (its dates are placeholders: dry-run over the last " + fmt.Sprint(backfillDays) + " days)"
	}
	a.r.summarize(CritBackfill, fmt.Sprintf("`%s` plans %d run(s) over %s", b.Command, b.Planned, over))
	if b.Planned == 0 {
		a.r.fail(CritBackfill, fmt.Sprintf("runbook %s: `%s` plans no run over %s", p.Runbook, b.Command, over))
	}
	return nil
}

func (a *assessment) loc() *time.Location {
	if s := a.in.Pipeline.Schedule; s != nil && s.Location != nil {
		return s.Location
	}
	return time.UTC
}

// plan is the intervals `gantry backfill --from from --to to` creates,
// as the server plans them (schedule.BackfillIntervals): one per
// schedule interval that starts in the range, or one per day without a
// cron.
func (a *assessment) plan(from, to string) ([]schedule.Interval, error) {
	loc := a.loc()
	s, err := pipelineSchedule(a.in.Pipeline)
	if err != nil {
		return nil, err
	}
	start, _, err := schedule.BackfillBound(from, loc)
	if err != nil {
		return nil, fmt.Errorf("--from %w", err)
	}
	last, end, err := schedule.BackfillBound(to, loc)
	if err != nil {
		return nil, fmt.Errorf("--to %w", err)
	}
	if last.Before(start) || !end.After(start) {
		return nil, fmt.Errorf("--to %s does not end after --from %s", to, from)
	}
	return schedule.BackfillIntervals(s, loc, start, end, maxPlanned)
}

// backfillCommand returns the heading of the section and the words of
// the first `gantry backfill PIPELINE` command of the runbook, preferring
// one in a section whose heading says backfill. The runbook is read as
// the gate's runbook rules read it (check.ReadRunbook).
func backfillCommand(doc []byte, p *spec.Pipeline) (string, []string, bool) {
	cmds := check.ReadRunbook(p, string(doc)).Backfill
	if len(cmds) == 0 {
		return "", nil, false
	}
	pick := cmds[0]
	for _, c := range cmds {
		if strings.Contains(strings.ToLower(c.Heading), "backfill") {
			pick = c
			break
		}
	}
	return pick.Heading, append([]string{"gantry"}, pick.Args...), true
}

// backfillRange reads --from and --to of a backfill command. A value that
// is neither a day nor an instant (<FROM>, "$DAY") is a placeholder: the
// range is then the last backfillDays days before now, in loc.
func backfillRange(words []string, now time.Time, loc *time.Location) (from, to string, placeholder bool, err error) {
	vals := map[string]string{}
	for i := 3; i < len(words); i++ {
		name, val, hasVal := strings.Cut(words[i], "=")
		if name != "--from" && name != "--to" {
			continue
		}
		if !hasVal {
			if i+1 >= len(words) {
				return "", "", false, fmt.Errorf("%s needs a value", name)
			}
			i++
			val = words[i]
		}
		vals[name] = val
	}
	for _, name := range []string{"--from", "--to"} {
		if _, ok := vals[name]; !ok {
			return "", "", false, fmt.Errorf("no %s", name)
		}
	}
	_, _, ferr := schedule.BackfillBound(vals["--from"], loc)
	_, _, terr := schedule.BackfillBound(vals["--to"], loc)
	if ferr != nil || terr != nil {
		today := now.In(loc)
		day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		return day.AddDate(0, 0, -backfillDays).Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly), true, nil
	}
	return vals["--from"], vals["--to"], false, nil
}
