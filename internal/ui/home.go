package ui

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// homePageSize is how many pipelines one page of / lists: what needs
// attention sorts first, so the first page is the one to read.
const homePageSize = 200

// window is how far back the success rate and the sparklines look.
const window = 7 * 24 * time.Hour

type homeRow struct {
	api.Pipeline
	Last      record.Run // zero ID: never ran
	Fresh     verdict
	SLA       verdict
	Runs      int
	Succeeded int
	Spark     template.HTML
	Firing    int
	attention int
}

type homePage struct {
	Env             string
	Rows            []homeRow
	Total, Matched  int
	Page, Pages     int
	Prev, Next      string
	Owners          []string
	Q, Owner, State string
	States          []string
	Failing, Stale  int
	Missed, Paused  int
	Firing, Running int
	SourceMissing   bool
}

func (p homePage) refresh() int { return 30 }

// The state filter's choices.
var homeStates = []string{"failing", "running", "stale", "sla-missed", "paused", "firing", "healthy"}

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	if h.Service == nil || h.Summaries == nil {
		h.page(w, r, "home.html", "Pipelines", "home", homePage{SourceMissing: true})
		return
	}
	ctx := r.Context()
	pipes, err := h.Service.Pipelines(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.Now()
	sums, err := h.summaries(ctx, pipes, now.Add(-window))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	firing, err := h.firingByPipeline(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bySum := make(map[[2]string]store.RunSummary, len(sums))
	for _, s := range sums {
		bySum[[2]string{s.Pipeline, s.Env}] = s
	}
	q := r.URL.Query()
	page := homePage{Q: strings.TrimSpace(q.Get("q")), Owner: q.Get("owner"), State: q.Get("state"),
		States: homeStates, Total: len(pipes)}
	owners := map[string]bool{}
	var rows []homeRow
	for _, p := range pipes {
		page.Env = p.Env
		owners[p.Owner] = true
		s := bySum[[2]string{p.Name, p.Env}]
		row := homeRow{Pipeline: p, Last: s.Last, Runs: s.Runs, Succeeded: s.Succeeded,
			Fresh: freshness(p.Spec, s.LastSucceeded, now), SLA: todaysSLA(p.Spec, s.LastSucceeded, now),
			Firing: firing[p.Name+"\x00"+p.Env]}
		row.attention = attention(row)
		page.count(row)
		if page.keep(row) {
			rows = append(rows, row)
		}
	}
	for o := range owners {
		if o != "" {
			page.Owners = append(page.Owners, o)
		}
	}
	slices.Sort(page.Owners)
	slices.SortStableFunc(rows, func(a, b homeRow) int {
		if a.attention != b.attention {
			return b.attention - a.attention
		}
		return strings.Compare(a.Name, b.Name)
	})
	page.paginate(rows, r.URL)
	if err := h.sparklines(ctx, page.Rows, now.Add(-window)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.page(w, r, "home.html", "Pipelines", "home", page)
}

// attention ranks what needs a person first: firing alerts, a failed
// last run, missed SLAs, stale data, then risks.
func attention(r homeRow) int {
	n := 0
	if r.Firing > 0 {
		n += 32
	}
	if r.Last.State == record.RunFailed {
		n += 16
	}
	if r.SLA.Class == "bad" {
		n += 8
	}
	if r.Fresh.Class == "bad" {
		n += 4
	}
	if r.SLA.Class == "warn" || r.Fresh.Class == "warn" {
		n += 2
	}
	if r.Error != "" {
		n++
	}
	return n
}

func (p *homePage) count(r homeRow) {
	if r.Last.State == record.RunFailed {
		p.Failing++
	}
	if r.Fresh.Class == "bad" {
		p.Stale++
	}
	if r.SLA.Class == "bad" {
		p.Missed++
	}
	if r.Paused {
		p.Paused++
	}
	if r.Firing > 0 {
		p.Firing++
	}
	if r.Last.State == record.RunRunning {
		p.Running++
	}
}

// keep applies the filters.
func (p *homePage) keep(r homeRow) bool {
	if p.Owner != "" && r.Owner != p.Owner {
		return false
	}
	if p.Q != "" && !strings.Contains(strings.ToLower(r.Name+" "+r.Owner+" "+r.Description), strings.ToLower(p.Q)) {
		return false
	}
	switch p.State {
	case "failing":
		return r.Last.State == record.RunFailed
	case "running":
		return r.Last.State == record.RunRunning
	case "stale":
		return r.Fresh.Class == "bad"
	case "sla-missed":
		return r.SLA.Class == "bad"
	case "paused":
		return r.Paused
	case "firing":
		return r.Firing > 0
	case "healthy":
		return r.attention == 0
	}
	return true
}

func (p *homePage) paginate(rows []homeRow, u *url.URL) {
	p.Matched = len(rows)
	p.Pages = max(1, (len(rows)+homePageSize-1)/homePageSize)
	p.Page, _ = strconv.Atoi(u.Query().Get("page"))
	p.Page = min(max(p.Page, 1), p.Pages)
	from := (p.Page - 1) * homePageSize
	p.Rows = rows[from:min(from+homePageSize, len(rows))]
	link := func(n int) string {
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		return "/?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
}

// summaries reads the run summaries of pipes: one SummarizeRuns per
// environment they run in (one, for a server).
func (h *handler) summaries(ctx context.Context, pipes []api.Pipeline, since time.Time) ([]store.RunSummary, error) {
	byEnv := map[string][]string{}
	var envs []string
	for _, p := range pipes {
		if _, ok := byEnv[p.Env]; !ok {
			envs = append(envs, p.Env)
		}
		byEnv[p.Env] = append(byEnv[p.Env], p.Name)
	}
	var out []store.RunSummary
	for _, env := range envs {
		sums, err := h.Summaries.SummarizeRuns(ctx, store.SummaryFilter{Pipelines: byEnv[env], Env: env, Since: since})
		if err != nil {
			return nil, err
		}
		out = append(out, sums...)
	}
	return out, nil
}

// sparklines draws the rows sparkline of each row shown, from one read
// of their figures.
func (h *handler) sparklines(ctx context.Context, rows []homeRow, since time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Name
	}
	series, err := h.rowSeries(ctx, names, since)
	if err != nil {
		return err
	}
	for i := range rows {
		if vs := series[[2]string{rows[i].Name, rows[i].Env}]; len(vs) > 1 {
			rows[i].Spark = sparkline(vs)
		}
	}
	return nil
}

// rowSeries reads the "rows" figures of pipelines since since, in one
// query: per (pipeline, env), the rows the first task that reported them
// in each run reported, oldest run first.
func (h *handler) rowSeries(ctx context.Context, pipelines []string, since time.Time) (map[[2]string][]float64, error) {
	figs, err := h.Summaries.ListFigures(ctx, store.FigureFilter{Pipelines: pipelines, Key: "rows", Since: since, Limit: 20000})
	if err != nil {
		return nil, err
	}
	out := map[[2]string][]float64{}
	seen := map[int64]bool{}
	for _, f := range figs { // newest run first, its attempts in order
		if seen[f.RunID] {
			continue
		}
		v, err := strconv.ParseFloat(f.Value, 64)
		if err != nil {
			continue
		}
		seen[f.RunID] = true
		k := [2]string{f.Pipeline, f.Env}
		out[k] = append(out[k], v)
	}
	for k, vs := range out {
		slices.Reverse(vs)
		if len(vs) > 30 {
			vs = vs[len(vs)-30:]
		}
		out[k] = vs
	}
	return out, nil
}

// firingByPipeline counts firing alerts by pipeline and env.
func (h *handler) firingByPipeline(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	if h.Alerts == nil {
		return out, nil
	}
	as, err := h.Alerts.ListAlerts(ctx, store.AlertFilter{State: record.AlertFiring, Limit: 5000})
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		out[a.Pipeline+"\x00"+a.Env]++
	}
	return out, nil
}
