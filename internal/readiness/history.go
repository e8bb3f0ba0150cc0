package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// SLAIntervals is how many intervals the SLA history judges.
const SLAIntervals = 30

// rowWindow is the succeeded runs a row count is compared with when
// monitoring.row_counts sets no window.
const rowWindow = 7

// pipelineSchedule is p's cron schedule, or nil when it has none.
func pipelineSchedule(p *spec.Pipeline) (*schedule.Schedule, error) {
	s := p.Schedule
	if s == nil || s.Cron == "" {
		return nil, nil
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return schedule.New(s.Cron, loc)
}

// deadlineAfter is the first hh:mm in loc at or after t.
func deadlineAfter(hhmm string, loc *time.Location, t time.Time) (time.Time, error) {
	var h, m int
	if _, err := fmt.Sscanf(hhmm, "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return time.Time{}, fmt.Errorf("sla.deadline %q: want HH:MM", hhmm)
	}
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), h, m, 0, 0, loc)
	if d.Before(t) {
		d = time.Date(l.Year(), l.Month(), l.Day()+1, h, m, 0, 0, loc)
	}
	return d, nil
}

// sla judges the last SLAIntervals intervals whose deadline has passed
// since the pipeline was first active in the environment: met when a run
// of the interval succeeded by its deadline. The newest one missing it is
// NOT READY.
func (a *assessment) sla(ctx context.Context) error {
	p := a.in.Pipeline
	if p.SLA.Deadline == "" {
		a.r.summarize(CritSLA, "no sla.deadline")
		return nil
	}
	s, err := pipelineSchedule(p)
	if err != nil {
		return err
	}
	if s == nil {
		a.r.summarize(CritSLA, "no schedule to judge sla.deadline by")
		return nil
	}
	since, err := a.firstActive(ctx)
	if err != nil {
		return err
	}
	if since.IsZero() {
		a.r.summarize(CritSLA, "never active in "+a.in.Env+" yet")
		a.r.note(CritSLA, "no history in "+a.in.Env+": judged from its first deadline there")
		return nil
	}
	h := &SLAHistory{Deadline: p.SLA.Deadline, Intervals: []SLAInterval{}}
	var offsets []time.Duration
	t := a.in.Now
	for len(h.Intervals) < SLAIntervals {
		tick := s.Prev(t)
		if tick.IsZero() {
			break
		}
		t = tick.Add(-time.Nanosecond)
		iv := s.IntervalEndingAt(tick)
		dl, err := deadlineAfter(p.SLA.Deadline, s.Location(), iv.End)
		if err != nil {
			return err
		}
		if dl.Before(since) {
			break // due before the pipeline ran here
		}
		if dl.After(a.in.Now) {
			continue // not due yet
		}
		si := SLAInterval{Start: iv.Start.UTC(), End: iv.End.UTC(), Deadline: dl.UTC()}
		if run, ok := a.finishedRun(iv.Start, iv.End); ok {
			si.RunID, si.Finished = run.ID, run.FinishedAt.UTC()
			si.Met = !run.FinishedAt.After(dl)
			offsets = append(offsets, run.FinishedAt.Sub(dl))
		}
		if si.Met {
			h.Met++
		} else {
			h.Missed++
		}
		h.Intervals = append(h.Intervals, si)
	}
	a.r.SLA = h
	if len(h.Intervals) == 0 {
		a.r.summarize(CritSLA, "no interval due yet")
		return nil
	}
	h.FinishP50, h.FinishP95 = quantile(offsets, 0.50), quantile(offsets, 0.95)
	a.r.summarize(CritSLA, fmt.Sprintf("%d of the last %d intervals met %s; finish p50 %s, p95 %s",
		h.Met, len(h.Intervals), p.SLA.Deadline, against(h.FinishP50, len(offsets)), against(h.FinishP95, len(offsets))))
	newest := h.Intervals[0]
	if !newest.Met {
		why := "no run succeeded"
		if newest.RunID != 0 {
			why = fmt.Sprintf("run %d finished %s late", newest.RunID, newest.Finished.Sub(newest.Deadline).Round(time.Second))
		}
		a.r.fail(CritSLA, fmt.Sprintf("the newest interval %s missed its %s deadline: %s",
			newest.Start.Format(time.RFC3339), p.SLA.Deadline, why))
	}
	if h.Missed > 0 && newest.Met {
		a.r.note(CritSLA, fmt.Sprintf("%d of the last %d intervals missed the deadline", h.Missed, len(h.Intervals)))
	}
	return nil
}

// firstActive is when the pipeline first became active in the
// environment; zero when it never did.
func (a *assessment) firstActive(ctx context.Context) (time.Time, error) {
	ds, err := a.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: a.in.Pipeline.Name, Env: a.in.Env, Limit: -1})
	if err != nil {
		return time.Time{}, err
	}
	var first time.Time
	for _, d := range ds {
		if !d.ActivatedAt.IsZero() && (first.IsZero() || d.ActivatedAt.Before(first)) {
			first = d.ActivatedAt
		}
	}
	return first, nil
}

// finishedRun is the run of [start, end) in the environment that
// succeeded first.
func (a *assessment) finishedRun(start, end time.Time) (record.Run, bool) {
	var best record.Run
	found := false
	for _, r := range a.runs {
		if r.State != record.RunSucceeded || !r.IntervalStart.Equal(start) || !r.IntervalEnd.Equal(end) {
			continue
		}
		if !found || r.FinishedAt.Before(best.FinishedAt) {
			best, found = r, true
		}
	}
	return best, found
}

func against(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	if d <= 0 {
		return (-d).Round(time.Second).String() + " before"
	}
	return d.Round(time.Second).String() + " after"
}

func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1)*q + 0.5)
	return s[i]
}

func (a *assessment) freshness(context.Context) error {
	limit := a.in.Pipeline.SLA.Freshness
	if limit <= 0 {
		a.r.summarize(CritFreshness, "no sla.freshness")
		return nil
	}
	f := &Freshness{Limit: limit}
	a.r.Freshness = f
	for _, r := range a.succeeded() {
		end := r.IntervalEnd
		if end.IsZero() {
			end = r.FinishedAt
		}
		if end.After(f.LastEnd) {
			f.LastEnd = end.UTC()
		}
	}
	if f.LastEnd.IsZero() {
		a.r.summarize(CritFreshness, "no succeeded run in "+a.in.Env+" yet")
		return nil
	}
	f.Age = a.in.Now.Sub(f.LastEnd)
	f.Stale = f.Age > limit
	a.r.summarize(CritFreshness, fmt.Sprintf("newest data ends %s, %s old (limit %s)", when(f.LastEnd), f.Age.Round(time.Minute), limit))
	if f.Stale {
		a.r.fail(CritFreshness, fmt.Sprintf("data is stale: the newest succeeded interval ended %s ago, over sla.freshness %s", f.Age.Round(time.Minute), limit))
	}
	return nil
}

// rowsOf returns the rows output of task's succeeded attempt in run.
func rowsOf(atts []record.TaskAttempt) (int64, bool) {
	for i := len(atts) - 1; i >= 0; i-- {
		if atts[i].State != record.TaskSucceeded {
			continue
		}
		for _, o := range atts[i].Outputs {
			if o.Key == "rows" {
				n, err := strconv.ParseInt(o.Value, 10, 64)
				return n, err == nil
			}
		}
		return 0, false
	}
	return 0, false
}

func (a *assessment) rowCounts(ctx context.Context) error {
	rc := a.in.Pipeline.Monitoring.RowCounts
	if rc == nil || rc.Task == "" {
		a.r.summarize(CritRowCounts, "no monitoring.row_counts")
		return nil
	}
	window := rc.Window
	if window <= 0 {
		window = rowWindow
	}
	t := &RowTrend{Task: rc.Task, Points: []RowPoint{}}
	a.r.RowCounts = t
	for _, r := range a.succeeded() {
		if len(t.Points) == 2*window {
			break
		}
		atts, err := a.st.ListAttempts(ctx, r.ID, rc.Task)
		if err != nil {
			return err
		}
		if rows, ok := rowsOf(atts); ok {
			t.Points = append(t.Points, RowPoint{RunID: r.ID, Start: r.IntervalStart.UTC(), Rows: rows})
		}
	}
	if len(t.Points) == 0 {
		a.r.summarize(CritRowCounts, fmt.Sprintf("no rows reported by %s in %s yet", rc.Task, a.in.Env))
		return nil
	}
	for i := range t.Points {
		pt := &t.Points[i]
		var before []float64
		for _, q := range t.Points[i+1 : min(len(t.Points), i+1+window)] {
			before = append(before, float64(q.Rows))
		}
		switch {
		case rc.Min > 0 && pt.Rows < rc.Min:
			pt.Anomaly = fmt.Sprintf("%d rows, under the minimum %d", pt.Rows, rc.Min)
		case rc.MaxDrop > 0 && len(before) >= 3:
			if med := median(before); med > 0 && float64(pt.Rows) < med*(1-rc.MaxDrop) {
				pt.Anomaly = fmt.Sprintf("%d rows, %.0f%% below the median %.0f of the %d runs before", pt.Rows, 100*(1-float64(pt.Rows)/med), med, len(before))
			}
		}
		if pt.Anomaly != "" {
			t.Anomalies = append(t.Anomalies, fmt.Sprintf("run %d (%s): %s", pt.RunID, pt.Start.Format(time.DateOnly), pt.Anomaly))
		}
	}
	newest := t.Points[0]
	a.r.summarize(CritRowCounts, fmt.Sprintf("%s: newest %d rows, %d anomalies in the last %d runs", rc.Task, newest.Rows, len(t.Anomalies), len(t.Points)))
	if newest.Anomaly != "" {
		a.r.fail(CritRowCounts, fmt.Sprintf("the newest run %d of %s: %s", newest.RunID, rc.Task, newest.Anomaly))
	}
	for _, an := range t.Anomalies[min(len(t.Anomalies), boolInt(newest.Anomaly != "")):] {
		a.r.note(CritRowCounts, an)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
