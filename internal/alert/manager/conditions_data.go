package manager

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Defaults of spec.Monitoring.
const (
	DefaultRowWindow      = 7
	DefaultDurationFactor = 2.0
	DefaultDurationWindow = 20
	DefaultRetryRate      = 0.5
	DefaultRetryWindow    = time.Hour
	// MinSamples is how many earlier runs (or attempts) a statistical
	// condition needs before it judges: fewer say nothing about normal.
	MinSamples    = 5
	minRowSamples = 3
)

// rowsOf returns the rows output of task's succeeded attempt in run.
func (e *eval) rowsOf(runID int64, task string) (int64, bool, error) {
	atts, err := e.m.cfg.Store.ListAttempts(e.ctx, runID, task)
	if err != nil {
		return 0, false, err
	}
	for i := len(atts) - 1; i >= 0; i-- {
		if atts[i].State != record.TaskSucceeded {
			continue
		}
		for _, o := range atts[i].Outputs {
			if o.Key == "rows" {
				n, err := strconv.ParseInt(o.Value, 10, 64)
				return n, err == nil, nil
			}
		}
		return 0, false, nil
	}
	return 0, false, nil
}

// rowCounts judges the rows output of the watched task in the newest
// succeeded run: missing, below min, or more than max_drop below the
// median of the Window succeeded runs before it.
func (e *eval) rowCounts(d *targetData) error {
	rc := d.t.Pipeline.Monitoring.RowCounts
	if rc == nil || rc.Task == "" || len(d.succeeded) == 0 {
		return nil
	}
	extra := map[string]string{LabelTask: rc.Task}
	r := d.succeeded[0]
	rows, ok, err := e.rowsOf(r.ID, rc.Task)
	if err != nil {
		return err
	}
	if !ok {
		e.add(d.t, NameRowCountMissing, "row_count", extra, map[string]string{
			AnnSummary: summaryf(d.t, "task %s reported no rows in run %d (write rows=N to $GANTRY_OUTPUT)", rc.Task, r.ID)}, r.ID)
		return nil
	}
	if rc.Min > 0 && rows < rc.Min {
		e.add(d.t, NameRowCountLow, "row_count", extra, map[string]string{
			AnnSummary: summaryf(d.t, "task %s wrote %d rows in run %d, below the minimum %d", rc.Task, rows, r.ID, rc.Min)}, r.ID)
	}
	if rc.MaxDrop <= 0 {
		return nil
	}
	window := rc.Window
	if window <= 0 {
		window = DefaultRowWindow
	}
	var prev []float64
	for _, pr := range d.succeeded[1:] {
		if len(prev) == window {
			break
		}
		n, ok, err := e.rowsOf(pr.ID, rc.Task)
		if err != nil {
			return err
		}
		if ok {
			prev = append(prev, float64(n))
		}
	}
	if len(prev) < minRowSamples {
		return nil
	}
	med := median(prev)
	if med > 0 && float64(rows) < med*(1-rc.MaxDrop) {
		e.add(d.t, NameRowCountDropped, "row_count", extra, map[string]string{
			AnnSummary: summaryf(d.t, "task %s wrote %d rows in run %d, %.0f%% below the median %.0f of the last %d runs (max_drop %.0f%%)",
				rc.Task, rows, r.ID, 100*(1-float64(rows)/med), med, len(prev), 100*rc.MaxDrop)}, r.ID)
	}
	return nil
}

// degradation raises RunSlow when the newest succeeded run took longer
// than duration_factor times the p95 of the Window succeeded runs before
// it (with at least MinSamples of them).
func (e *eval) degradation(d *targetData) error {
	dg := d.t.Pipeline.Monitoring.Degradation
	factor, window := dg.DurationFactor, dg.Window
	if factor <= 0 {
		factor = DefaultDurationFactor
	}
	if window <= 0 {
		window = DefaultDurationWindow
	}
	var durs []float64
	for _, r := range d.succeeded {
		if len(durs) == window+1 {
			break
		}
		if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
			durs = append(durs, r.FinishedAt.Sub(r.StartedAt).Seconds())
		}
	}
	if len(durs) < MinSamples+1 {
		return nil
	}
	last, p95 := durs[0], percentile(durs[1:], 0.95)
	if p95 > 0 && last > p95*factor {
		r := d.succeeded[0]
		e.add(d.t, NameRunSlow, "degradation", nil, map[string]string{AnnSummary: summaryf(d.t,
			"run %d took %s, over %.3gx the p95 %s of the last %d runs", r.ID, secs(last), factor, secs(p95), len(durs)-1)}, r.ID)
	}
	return nil
}

// retryRate raises RetryRateHigh when more than retry_rate of the attempts
// started within retry_window were retries (at least MinSamples attempts).
func (e *eval) retryRate(d *targetData) error {
	dg := d.t.Pipeline.Monitoring.Degradation
	rate, window := dg.RetryRate, dg.RetryWindow
	if rate <= 0 {
		rate = DefaultRetryRate
	}
	if window <= 0 {
		window = DefaultRetryWindow
	}
	since := e.now.Add(-window)
	total, retries := 0, 0
	for _, r := range d.runs {
		if r.State.Final() && r.FinishedAt.Before(since) {
			continue
		}
		if r.CreatedAt.Before(since.Add(-24 * time.Hour)) {
			break // runs are newest first; older ones started no attempt in the window
		}
		atts, err := e.m.cfg.Store.ListAttempts(e.ctx, r.ID, "")
		if err != nil {
			return err
		}
		for _, a := range atts {
			if a.StartedAt.Before(since) {
				continue
			}
			total++
			if a.Attempt > 1 {
				retries++
			}
		}
	}
	if total >= MinSamples && float64(retries)/float64(total) > rate {
		e.add(d.t, NameRetryRateHigh, "degradation", nil, map[string]string{AnnSummary: summaryf(d.t,
			"%d of the %d attempts in the last %s were retries (over %.0f%%)", retries, total, window, 100*rate)}, 0)
	}
	return nil
}

// deadLetters raises DeadLettersPending while the pipeline has dead
// letters in this environment that nobody replayed.
func (e *eval) deadLetters(d *targetData) error {
	dls, err := e.m.cfg.Store.ListDeadLetters(e.ctx, store.DeadLetterFilter{Pipeline: d.t.Pipeline.Name, Unreplayed: true, Limit: 100})
	if err != nil {
		return err
	}
	var mine []record.DeadLetter
	for _, dl := range dls {
		r, ok := e.runCache[dl.RunID]
		if !ok {
			if r, err = e.m.cfg.Store.GetRun(e.ctx, dl.RunID); err != nil {
				continue // its run is gone
			}
			e.runCache[r.ID] = r
		}
		if r.Env == d.t.Env {
			mine = append(mine, dl)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	n := fmt.Sprint(len(mine))
	if len(mine) == 100 {
		n = "100 or more"
	}
	newest := mine[0]
	e.add(d.t, NameDeadLetters, "dead_letter", nil, map[string]string{
		AnnSummary: summaryf(d.t, "%s dead letters wait for a replay; newest: task %s of run %d", n, newest.Task, newest.RunID),
		AnnDetails: newest.Error, "count": fmt.Sprint(len(mine)),
	}, newest.RunID)
	return nil
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

// percentile is the nearest-rank percentile q of xs.
func percentile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}
