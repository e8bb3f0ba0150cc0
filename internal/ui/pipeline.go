package ui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// gridRuns is how many recent runs the grid and charts show.
const gridRuns = 30

type pipelinePage struct {
	P           api.Pipeline
	Runs        []record.Run // newest first
	GridRuns    []record.Run // oldest first
	RunMarks    map[record.RunState]string
	GridTasks   []string
	Grid        []gridRow
	Duration    template.HTML
	Rows        []stageChart
	Fresh       template.HTML
	Upstream    []string
	Downstream  []string
	Deployments []record.Deployment
	Alerts      []record.Alert
	ParamsText  string
	Today       string
}

type gridRow struct {
	Task  string
	Cells []gridCell
}

type gridCell struct {
	RunID    int64
	State    record.TaskState
	Attempts int
	Mark     string
}

type stageChart struct {
	Task  string
	Chart template.HTML
}

func (p pipelinePage) refresh() int { return 30 }

// marks are the grid's one-letter state names, beside the colour.
var marks = map[record.TaskState]string{
	record.TaskSucceeded: "✓", record.TaskFailed: "✗", record.TaskTimedOut: "T", record.TaskMemoryExceeded: "M",
	record.TaskRunning: "▶", record.TaskRetrying: "↻", record.TaskQueued: "…", record.TaskWaitingPool: "…",
	record.TaskPending: "·", record.TaskCancelled: "⊘", record.TaskUpstreamFailed: "↑", record.TaskLost: "?",
	record.TaskWaitingApproval: "✋", record.TaskSkipped: "–",
}

var runMarks = map[record.RunState]string{
	record.RunSucceeded: "✓", record.RunFailed: "✗", record.RunRunning: "▶", record.RunQueued: "…",
	record.RunWaiting: "⧗", record.RunCancelled: "⊘",
}

func (h *handler) pipeline(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctx := r.Context()
	if h.Service == nil || h.Summaries == nil {
		h.fail(w, r, fmt.Errorf("%w: this server lists no pipelines", errNotFound))
		return
	}
	all, err := h.Service.Pipelines(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(all, func(p api.Pipeline) bool { return p.Name == name })
	if i < 0 {
		h.fail(w, r, fmt.Errorf("%w: this server runs no pipeline %q", errNotFound, name))
		return
	}
	page := pipelinePage{P: all[i], Today: h.Now().Format(time.DateOnly)}
	env := page.P.Env
	if page.Runs, err = h.Service.ListRuns(ctx, store.RunFilter{Pipeline: name, Env: &env, Limit: gridRuns}); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.fillGrid(r, &page); err != nil {
		h.fail(w, r, err)
		return
	}
	page.Duration = durationChart(page.Runs)
	if err := h.fillRows(r, &page); err != nil {
		h.fail(w, r, err)
		return
	}
	ok, err := h.Service.ListRuns(ctx, store.RunFilter{Pipeline: name, Env: &env, States: []record.RunState{record.RunSucceeded}, Limit: gridRuns + 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page.Fresh = freshnessChart(page.P, ok)
	page.Upstream, page.Downstream = neighbours(page.P, all)
	if h.Deploy != nil {
		if page.Deployments, err = h.Deploy.Deployments(ctx, store.DeploymentFilter{Pipeline: name, Limit: 20}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if h.Alerts != nil {
		if page.Alerts, err = h.Alerts.ListAlerts(ctx, store.AlertFilter{Pipeline: name, Limit: 20}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if ps := page.P.Spec; ps != nil {
		var lines []string
		for _, p := range ps.Params {
			lines = append(lines, p.Name+"="+p.Default)
		}
		page.ParamsText = strings.Join(lines, "\n")
	}
	h.page(w, r, "pipeline.html", name, "home", page)
}

// fillGrid reads the tasks of the recent runs in one query: rows are the
// spec's tasks (then any other a run had), columns the runs, oldest left.
func (h *handler) fillGrid(r *http.Request, page *pipelinePage) error {
	ids := make([]int64, 0, len(page.Runs))
	for _, run := range page.Runs {
		ids = append(ids, run.ID)
	}
	rts, err := h.Summaries.ListRunTasksOf(r.Context(), ids)
	if err != nil {
		return err
	}
	cell := map[[2]any]record.RunTask{}
	var tasks []string
	if ps := page.P.Spec; ps != nil {
		for _, t := range ps.Tasks {
			tasks = append(tasks, t.ID)
		}
	}
	for _, rt := range rts {
		cell[[2]any{rt.RunID, rt.Task}] = rt
		if !slices.Contains(tasks, rt.Task) {
			tasks = append(tasks, rt.Task)
		}
	}
	page.GridTasks = tasks
	page.GridRuns = slices.Clone(page.Runs)
	slices.Reverse(page.GridRuns)
	page.RunMarks = runMarks
	for _, t := range tasks {
		row := gridRow{Task: t}
		for i := len(page.Runs) - 1; i >= 0; i-- {
			run := page.Runs[i]
			rt, ok := cell[[2]any{run.ID, t}]
			c := gridCell{RunID: run.ID}
			if ok {
				c.State, c.Attempts, c.Mark = rt.State, rt.Attempts, marks[rt.State]
			}
			row.Cells = append(row.Cells, c)
		}
		page.Grid = append(page.Grid, row)
	}
	return nil
}

// durationChart draws the recent finished runs' durations with the p50
// and p95 of those that succeeded.
func durationChart(runs []record.Run) template.HTML {
	var pts []point
	var ok []float64
	for i := len(runs) - 1; i >= 0; i-- {
		run := runs[i]
		if run.StartedAt.IsZero() || run.FinishedAt.IsZero() {
			continue
		}
		d := run.FinishedAt.Sub(run.StartedAt).Seconds()
		pts = append(pts, point{V: d, Label: fmt.Sprintf("run %d, %s", run.ID, run.State),
			Href: "/runs/" + strconv.FormatInt(run.ID, 10), Bad: run.State != record.RunSucceeded})
		if run.State == record.RunSucceeded {
			ok = append(ok, d)
		}
	}
	var refs []refLine
	if len(ok) > 0 {
		refs = []refLine{{V: percentile(ok, .5), Label: "p50", Class: "p50"}, {V: percentile(ok, .95), Label: "p95", Class: "p95"}}
	}
	return chart("duration-chart", "run duration", pts, refs, seconds)
}

func seconds(v float64) string {
	return humanDurationFine(time.Duration(v * float64(time.Second)))
}

// humanDurationFine keeps sub-minute precision for short runs.
func humanDurationFine(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return humanDuration(d)
}

// fillRows draws a row-count chart per task that reported rows.
func (h *handler) fillRows(r *http.Request, page *pipelinePage) error {
	env := page.P.Env
	figs, err := h.Summaries.ListFigures(r.Context(), store.FigureFilter{Pipelines: []string{page.P.Name}, Env: &env, Key: "rows",
		Since: h.Now().Add(-90 * 24 * time.Hour), Limit: 50 * max(1, len(page.GridTasks))})
	if err != nil {
		return err
	}
	byTask := map[string][]point{}
	var order []string
	for i := len(figs) - 1; i >= 0; i-- {
		f := figs[i]
		v, err := strconv.ParseFloat(f.Value, 64)
		if err != nil {
			continue
		}
		if _, ok := byTask[f.Task]; !ok {
			order = append(order, f.Task)
		}
		byTask[f.Task] = append(byTask[f.Task], point{V: v, Label: fmt.Sprintf("run %d, interval ending %s", f.RunID, when(f.IntervalEnd)),
			Href: "/runs/" + strconv.FormatInt(f.RunID, 10)})
	}
	for _, t := range order {
		page.Rows = append(page.Rows, stageChart{Task: t, Chart: chart("rows-"+t, "rows of "+t, byTask[t], nil, count)})
	}
	return nil
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// freshnessChart draws, for each recent succeeded run, how old the data
// had become just before it landed (its finish minus the previous
// succeeded interval's end), against sla.freshness.
func freshnessChart(p api.Pipeline, ok []record.Run) template.HTML {
	// In the order they landed: the age of the newest data already
	// landed (the greatest interval end so far, so a backfill of old
	// days does not read as stale data) when each run landed.
	landed := slices.Clone(ok)
	slices.SortStableFunc(landed, func(a, b record.Run) int { return a.FinishedAt.Compare(b.FinishedAt) })
	var pts []point
	var newest time.Time
	for _, run := range landed {
		if run.FinishedAt.IsZero() {
			continue
		}
		if !newest.IsZero() {
			age := max(run.FinishedAt.Sub(newest), 0).Seconds()
			pts = append(pts, point{V: age, Label: fmt.Sprintf("run %d landed", run.ID), Href: "/runs/" + strconv.FormatInt(run.ID, 10)})
		}
		if run.IntervalEnd.After(newest) {
			newest = run.IntervalEnd
		}
	}
	var refs []refLine
	if p.Spec != nil && p.Spec.SLA.Freshness > 0 {
		sla := p.Spec.SLA.Freshness.Seconds()
		refs = append(refs, refLine{V: sla, Label: "SLA", Class: "sla"})
		for i := range pts {
			pts[i].Bad = pts[i].V > sla
		}
	}
	return chart("freshness-chart", "data age when each run landed", pts, refs, seconds)
}

// neighbours are the pipelines p waits on or reads from, and those that
// wait on it or read what it writes.
func neighbours(p api.Pipeline, all []api.Pipeline) (up, down []string) {
	up = slices.Clone(p.After)
	var produces, consumes []string
	if p.Spec != nil {
		produces, consumes = p.Spec.Produces, p.Spec.Consumes
	}
	for _, o := range all {
		if o.Name == p.Name {
			continue
		}
		if slices.Contains(o.After, p.Name) {
			down = append(down, o.Name)
		}
		if o.Spec == nil {
			continue
		}
		for _, d := range o.Spec.Consumes {
			if slices.Contains(produces, d) && !slices.Contains(down, o.Name) {
				down = append(down, o.Name)
			}
		}
		for _, d := range o.Spec.Produces {
			if slices.Contains(consumes, d) && !slices.Contains(up, o.Name) {
				up = append(up, o.Name)
			}
		}
	}
	slices.Sort(down)
	return up, down
}

// backfillPreview shows a dry run's planned intervals, with the button
// that starts the backfill for real.
func (h *handler) backfillPreview(w http.ResponseWriter, r *http.Request, resp []byte) {
	var v api.BackfillStatusView
	if err := json.Unmarshal(resp, &v); err != nil {
		h.fail(w, r, fmt.Errorf("read the backfill preview: %w", err))
		return
	}
	data := struct {
		Pipeline, From, To, Parallel string
		Intervals                    []api.Interval
	}{r.PathValue("name"), r.PostForm.Get("from"), r.PostForm.Get("to"), r.PostForm.Get("parallel"), v.Intervals}
	h.page(w, r, "backfill.html", "Backfill preview of "+data.Pipeline, "home", data)
}
