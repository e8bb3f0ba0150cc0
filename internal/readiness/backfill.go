package readiness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/schedule"
)

// backfillDays is the range a backfill command with placeholders for its
// dates is dry-run over: the last few days.
const backfillDays = 3

// maxPlanned bounds a dry run.
const maxPlanned = 1000

var headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)

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
	section, cmd, ok := backfillCommand(a.in.Runbook, p.Name)
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
// a section whose heading says backfill.
func backfillCommand(doc []byte, pipeline string) (string, []string, bool) {
	type found struct {
		heading string
		words   []string
	}
	var first *found
	heading := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := headingRE.FindStringSubmatch(line); m != nil {
			heading = m[2]
			continue
		}
		for _, words := range commands(line) {
			if len(words) < 3 || words[0] != "gantry" || words[1] != "backfill" || words[2] != pipeline {
				continue
			}
			f := &found{heading, words}
			if strings.Contains(strings.ToLower(heading), "backfill") {
				return f.heading, f.words, true
			}
			if first == nil {
				first = f
			}
		}
	}
	if first == nil {
		return "", nil, false
	}
	return first.heading, first.words, true
}

// commands splits a line of shell (or of Markdown with `inline code`)
// into the commands it holds, each as words with quotes removed: a
// small splitter for runbook lines, not a shell. A command ends at ; &
// | or a backquote outside quotes; # after a blank starts a comment.
func commands(line string) [][]string {
	var out [][]string
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	end := func() {
		flush()
		for len(words) > 0 && (words[0] == "$" || words[0] == "sudo") {
			words = words[1:]
		}
		if len(words) > 0 {
			out = append(out, words)
		}
		words = nil
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '"' && c == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
			inWord = true
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			end()
			return out
		case strings.ContainsRune(";&|`()", c):
			end()
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	end()
	return out
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
