package manager

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/store"
)

// DefaultSchedulerLag is the scheduler lag that alerts when gantry.yaml
// sets none.
const DefaultSchedulerLag = 5 * time.Minute

func (d *targetData) schedule() (*schedule.Schedule, error) {
	s := d.t.Pipeline.Schedule
	if s == nil || s.Cron == "" {
		return nil, nil
	}
	loc := s.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(s.Timezone); err != nil {
			return nil, fmt.Errorf("schedule of %s: %w", d.t.Pipeline.Name, err)
		}
	}
	return schedule.New(s.Cron, loc)
}

// deadlines returns the last deadline at or before now and the next one
// after it, for a daily "HH:MM" in loc.
func deadlines(hhmm string, loc *time.Location, now time.Time) (last, next time.Time, err error) {
	var h, m int
	if _, err := fmt.Sscanf(hhmm, "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return time.Time{}, time.Time{}, fmt.Errorf("sla.deadline %q: want HH:MM", hhmm)
	}
	local := now.In(loc)
	at := func(day int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+day, h, m, 0, 0, loc)
	}
	last = at(0)
	if last.After(now) {
		last = at(-1)
		return last, at(0), nil
	}
	return last, at(1), nil
}

// sla raises SLAMissed when the interval due before the last deadline
// (sla.deadline, local time in the schedule's zone) has no succeeded run
// by then — whether its run failed, is still running, waits on an
// upstream or was never created. It fires at the deadline itself: the
// loop wakes then. It resolves when a run for that interval succeeds.
func (e *eval) sla(d *targetData) error {
	p := d.t.Pipeline
	if p.SLA.Deadline == "" {
		return nil
	}
	s, err := d.schedule()
	if err != nil || s == nil {
		return err
	}
	last, next, err := deadlines(p.SLA.Deadline, s.Location(), e.now)
	if err != nil {
		return err
	}
	e.wakeAt(next)
	tick := s.Prev(last.Add(-time.Nanosecond)) // the interval must have ended before the deadline
	if tick.IsZero() {
		return nil
	}
	iv := s.IntervalEndingAt(tick)
	if !d.t.Since.IsZero() && iv.End.Before(d.t.Since) {
		return nil
	}
	_, err = e.m.cfg.Store.FindCoveringRun(e.ctx, p.Name, d.t.Env, iv.Start, iv.End)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	state := "no run was created"
	var runID int64
	for _, r := range d.runs {
		if r.IntervalStart.Equal(iv.Start) && r.IntervalEnd.Equal(iv.End) {
			state, runID = "its run "+itoa(r.ID)+" is "+string(r.State), r.ID
			break
		}
	}
	ann := map[string]string{
		AnnSummary: summaryf(d.t, "interval %s not done by its %s deadline; %s", iv, p.SLA.Deadline, state),
		"deadline": last.Format(time.RFC3339), "interval": iv.String(),
	}
	e.add(d.t, NameSLAMissed, "sla", nil, ann, runID)
	return nil
}

// freshness raises DataStale when the newest succeeded interval ended
// more than sla.freshness ago; the loop wakes when that happens.
func (e *eval) freshness(d *targetData) error {
	fr := d.t.Pipeline.SLA.Freshness
	if fr <= 0 {
		return nil
	}
	var last time.Time
	var runID int64
	for _, r := range d.succeeded {
		end := r.IntervalEnd
		if end.IsZero() {
			end = r.FinishedAt
		}
		if end.After(last) {
			last, runID = end, r.ID
		}
	}
	what := "ended at " + last.UTC().Format(time.RFC3339)
	if last.IsZero() {
		if d.t.Since.IsZero() {
			return nil // never ran and no deploy time to count from
		}
		last, what = d.t.Since, "no succeeded run since it was deployed at "+d.t.Since.UTC().Format(time.RFC3339)
	}
	if age := e.now.Sub(last); age > fr {
		ann := map[string]string{AnnSummary: summaryf(d.t, "data is %s old, over its %s freshness SLA; the newest succeeded interval %s",
			age.Round(time.Minute), fr, what)}
		e.add(d.t, NameDataStale, "freshness", nil, ann, runID)
		return nil
	}
	e.wakeAt(last.Add(fr).Add(time.Nanosecond))
	return nil
}

// schedulerLag raises SchedulerLagging while the newest scheduled run has
// not started more than the project's scheduler_lag after its interval
// ended, and when a due interval has no run that long after its end (the
// scheduler is down). A paused pipeline does not lag.
func (e *eval) schedulerLag(d *targetData) error {
	s, err := d.schedule()
	if err != nil || s == nil {
		return err
	}
	if e.paused[d.t.Pipeline.Name] {
		return nil
	}
	lag := e.project.Alerts.SchedulerLag
	if lag <= 0 {
		lag = DefaultSchedulerLag
	}
	var latest *record.Run
	for i, r := range d.runs {
		if r.Trigger == record.TriggerSchedule {
			latest = &d.runs[i]
			break
		}
	}
	raise := func(msg string, runID int64) {
		e.add(d.t, NameSchedulerLagging, "scheduler_lag", nil, map[string]string{AnnSummary: summaryf(d.t, "%s", msg)}, runID)
	}
	// A run for an interval that fell due before Since (a catch-up when a
	// working tree is first served) is not lag.
	if latest != nil && !latest.State.Final() && latest.State != record.RunWaiting &&
		(d.t.Since.IsZero() || !latest.IntervalEnd.Before(d.t.Since)) {
		started := latest.StartedAt
		if started.IsZero() {
			started = e.now
		}
		if l := started.Sub(latest.IntervalEnd); l > lag {
			raise(fmt.Sprintf("run %d started %s after its interval ended (scheduler_lag %s)", latest.ID, l.Round(time.Second), lag), latest.ID)
			return nil
		}
		if latest.StartedAt.IsZero() {
			e.wakeAt(latest.IntervalEnd.Add(lag).Add(time.Nanosecond))
		}
	}
	tick := s.Prev(e.now)
	if tick.IsZero() || (!d.t.Since.IsZero() && tick.Before(d.t.Since)) {
		return nil
	}
	for _, r := range d.runs { // any trigger: upstream-triggered runs count
		if !r.IntervalEnd.Before(tick) {
			return nil
		}
	}
	if l := e.now.Sub(tick); l > lag {
		raise(fmt.Sprintf("no run for the interval due at %s, %s ago (scheduler_lag %s)", tick.Format(time.RFC3339), l.Round(time.Second), lag), 0)
		return nil
	}
	e.wakeAt(tick.Add(lag).Add(time.Nanosecond))
	return nil
}
