package manager

import (
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
)

// failure kinds and their alert names, by the task state that caused them.
var failureOf = map[record.TaskState]struct{ kind, name string }{
	record.TaskFailed:         {"failure", NameRunFailed},
	record.TaskTimedOut:       {"timeout", NameRunTimedOut},
	record.TaskMemoryExceeded: {"memory", NameTaskOutOfMemory},
	record.TaskLost:           {"lost", NameTaskLost},
}

// failures raises one alert per way the runs since the last success
// failed: a run that failed because a task timed out raises RunTimedOut,
// one whose task exited non-zero RunFailed. They hold until a run of the
// pipeline in that environment succeeds. Only final runs count, so a task
// retried three times pages once, for the run.
func (e *eval) failures(d *targetData) error {
	seen := map[string]bool{}
	for _, r := range d.runs {
		if r.State == record.RunSucceeded {
			break
		}
		if r.State != record.RunFailed {
			continue
		}
		tasks, err := e.m.cfg.Store.ListRunTasks(e.ctx, r.ID)
		if err != nil {
			return err
		}
		found := false
		for _, rt := range tasks {
			f, ok := failureOf[rt.State]
			if !ok {
				continue
			}
			found = true
			if seen[f.name] {
				continue
			}
			seen[f.name] = true
			if err := e.failureAlert(d, r, rt, f.kind, f.name); err != nil {
				return err
			}
		}
		if !found && !seen[NameRunFailed] { // failed before any task ran
			seen[NameRunFailed] = true
			ann := map[string]string{AnnSummary: summaryf(d.t, "run %d failed: %s", r.ID, firstLine(r.Error)), AnnDetails: r.Error}
			e.add(d.t, NameRunFailed, "failure", nil, ann, r.ID)
		}
	}
	return nil
}

func (e *eval) failureAlert(d *targetData, r record.Run, rt record.RunTask, kind, name string) error {
	atts, err := e.m.cfg.Store.ListAttempts(e.ctx, r.ID, rt.Task)
	if err != nil {
		return err
	}
	what := map[string]string{"failure": "failed", "timeout": "timed out", "memory": "went over its memory limit", "lost": "was lost in a crash"}[kind]
	var last record.TaskAttempt
	if len(atts) > 0 {
		last = atts[len(atts)-1]
	}
	if kind == "failure" && last.Signal != "" {
		what = "was killed (" + last.Signal + ")"
	}
	summary := summaryf(d.t, "task %s %s after %d attempt%s", rt.Task, what, rt.Attempts, plural(rt.Attempts))
	details := strings.TrimSpace(strings.Join(nonEmpty(last.Error, e.logTail(last)), "\n"))
	if details == "" {
		details = r.Error
	}
	ann := map[string]string{AnnSummary: summary, AnnDetails: details, "run": itoa(r.ID)}
	e.add(d.t, name, kind, nil, ann, r.ID)
	return nil
}

// events raises the event alerts a route asked for: a retried task
// (on: [retry]) and a succeeded run (on: [success]), from runs that are
// active or ended within the last hour.
func (e *eval) events(d *targetData) error {
	retry, success := e.tree.Wants("retry"), e.tree.Wants("success")
	if !retry && !success {
		return nil
	}
	recent := e.now.Add(-time.Hour)
	for _, r := range d.runs {
		if r.State.Final() && r.FinishedAt.Before(recent) {
			continue
		}
		if success && r.State == record.RunSucceeded {
			ann := map[string]string{AnnSummary: summaryf(d.t, "run %d succeeded", r.ID)}
			e.add(d.t, NameRunSucceeded, "success", map[string]string{LabelRun: itoa(r.ID)}, ann, r.ID)
		}
		if retry {
			if err := e.retries(d, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *eval) retries(d *targetData, r record.Run) error {
	atts, err := e.m.cfg.Store.ListAttempts(e.ctx, r.ID, "")
	if err != nil {
		return err
	}
	latest := map[string]int{}
	for _, a := range atts {
		latest[a.Task] = max(latest[a.Task], a.Attempt)
	}
	for _, a := range atts {
		if !a.State.Final() || a.State == record.TaskSucceeded || a.State == record.TaskCancelled || a.Attempt == latest[a.Task] {
			continue // not a failure, or the task's last try: not (yet) retried
		}
		ann := map[string]string{
			AnnSummary: summaryf(d.t, "task %s attempt %d %s; retrying", a.Task, a.Attempt, strings.ReplaceAll(string(a.State), "_", " ")),
			AnnDetails: strings.TrimSpace(strings.Join(nonEmpty(a.Error, e.logTail(a)), "\n")),
		}
		extra := map[string]string{LabelTask: a.Task, LabelRun: itoa(r.ID), LabelAttempt: itoa(int64(a.Attempt))}
		e.add(d.t, NameTaskRetried, "retry", extra, ann, r.ID)
	}
	return nil
}

// logTail returns the last lines of an attempt's log: at most 10 lines
// and 2 KiB, read from the end so a huge log costs nothing. A log that
// cannot be read adds nothing to the alert.
func (e *eval) logTail(a record.TaskAttempt) string {
	const maxBytes, maxLines = 2048, 10
	l, err := e.m.cfg.Logs.Open(e.ctx, a)
	if err != nil {
		return ""
	}
	defer l.Close()
	text, err := logs.LastLines(l, maxLines, maxBytes)
	if err != nil {
		return ""
	}
	return text
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
