package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

var summaryCases = []testCase{
	{"SummarizeRuns", testSummarizeRuns},
	{"ListFigures", testListFigures},
	{"ListRunTasksOf", testListRunTasksOf},
}

// summaryRun inserts a run of pipeline in env, created at created, that
// ended in state, and one attempt of task "load" that reported rows (none
// when rows is "").
func summaryRun(t *testing.T, s store.Store, pipeline, env string, created time.Time, state record.RunState, rows string) record.Run {
	t.Helper()
	r := record.Run{Pipeline: pipeline, Env: env, Trigger: record.TriggerManual, State: state,
		IntervalStart: created.Add(-24 * time.Hour), IntervalEnd: created, CreatedAt: created}
	must(t, s.CreateRun(ctx(t), &r, []string{"extract", "load"}))
	a := &record.TaskAttempt{RunID: r.ID, Task: "load", Attempt: 1, State: record.TaskSucceeded,
		StartedAt: created, FinishedAt: created.Add(time.Minute)}
	if state != record.RunSucceeded {
		a.State = record.TaskFailed
	}
	if rows != "" {
		a.Outputs = []record.Output{{Key: "bytes", Value: "9"}, {Key: "rows", Value: rows}}
	}
	must(t, s.Apply(ctx(t), &store.Batch{Insert: []*record.TaskAttempt{a},
		Tasks: []record.RunTask{{RunID: r.ID, Task: "load", State: a.State, Attempts: 1, UpdatedAt: created}}}))
	return r
}

func testSummarizeRuns(t *testing.T, s store.Store) {
	summaryRun(t, s, "a", "prod", at(-10*24*time.Hour), record.RunSucceeded, "") // outside the window
	ok := summaryRun(t, s, "a", "prod", at(-2*time.Hour), record.RunSucceeded, "")
	last := summaryRun(t, s, "a", "prod", at(-time.Hour), record.RunFailed, "")
	staging := summaryRun(t, s, "a", "staging", at(-time.Hour), record.RunSucceeded, "")
	bOnly := summaryRun(t, s, "b", "prod", at(-30*24*time.Hour), record.RunFailed, "")

	got, err := s.SummarizeRuns(ctx(t), store.SummaryFilter{Pipelines: []string{"b", "a", "none"}, Env: "prod", Since: at(-7 * 24 * time.Hour)})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("%d summaries, want 2 (b, a; none has no run): %+v", len(got), got)
	}
	want := []struct {
		pipeline          string
		last              int64
		lastOK            time.Time
		runs, okN, failed int
	}{
		{"b", bOnly.ID, time.Time{}, 0, 0, 0},
		{"a", last.ID, stored(ok.IntervalEnd), 2, 1, 1},
	}
	for i, w := range want {
		g := got[i]
		if g.Pipeline != w.pipeline || g.Env != "prod" || g.Last.ID != w.last || !g.LastSucceeded.Equal(w.lastOK) ||
			g.Runs != w.runs || g.Succeeded != w.okN || g.Failed != w.failed {
			t.Errorf("summary %d: got %s/%s last %d ok-end %v runs %d/%d/%d, want %+v", i,
				g.Pipeline, g.Env, g.Last.ID, g.LastSucceeded, g.Runs, g.Succeeded, g.Failed, w)
		}
	}
	if got[1].Last.State != record.RunFailed || got[1].Last.Pipeline != "a" {
		t.Errorf("a's newest run in prod: %+v, want the failed one", got[1].Last)
	}

	got, err = s.SummarizeRuns(ctx(t), store.SummaryFilter{Pipelines: []string{"a", "b"}, Env: "staging", Since: at(-7 * 24 * time.Hour)})
	must(t, err)
	if len(got) != 1 || got[0].Last.ID != staging.ID || got[0].Runs != 1 || got[0].Succeeded != 1 {
		t.Errorf("staging: %+v", got)
	}

	// More pipelines than one statement takes.
	many := make([]string, 1200)
	for i := range many {
		many[i] = fmt.Sprintf("p%04d", i)
	}
	many[1100] = "a"
	got, err = s.SummarizeRuns(ctx(t), store.SummaryFilter{Pipelines: many, Env: "prod", Since: at(-7 * 24 * time.Hour)})
	must(t, err)
	if len(got) != 1 || got[0].Pipeline != "a" || got[0].Runs != 2 {
		t.Errorf("a among 1200 names: %+v", got)
	}
}

func testListFigures(t *testing.T, s store.Store) {
	summaryRun(t, s, "a", "prod", at(-10*24*time.Hour), record.RunSucceeded, "1") // outside the window
	r1 := summaryRun(t, s, "a", "prod", at(-3*time.Hour), record.RunSucceeded, "100")
	summaryRun(t, s, "a", "prod", at(-2*time.Hour), record.RunFailed, "999") // failed attempt: no figure
	r3 := summaryRun(t, s, "a", "prod", at(-time.Hour), record.RunSucceeded, "300")
	summaryRun(t, s, "b", "prod", at(-time.Hour), record.RunSucceeded, "7")
	summaryRun(t, s, "a", "staging", at(-time.Hour), record.RunSucceeded, "5")

	prod := "prod"
	got, err := s.ListFigures(ctx(t), store.FigureFilter{Pipelines: []string{"a"}, Env: &prod, Key: "rows", Since: at(-7 * 24 * time.Hour)})
	must(t, err)
	if len(got) != 2 || got[0].RunID != r3.ID || got[0].Value != "300" || got[1].RunID != r1.ID || got[1].Value != "100" {
		t.Fatalf("a's rows in prod: %+v", got)
	}
	if got[0].Task != "load" || got[0].Key != "rows" || !got[0].IntervalEnd.Equal(stored(r3.IntervalEnd)) || got[0].FinishedAt.IsZero() {
		t.Errorf("figure: %+v", got[0])
	}
	all, err := s.ListFigures(ctx(t), store.FigureFilter{Since: at(-7 * 24 * time.Hour), Limit: -1})
	must(t, err)
	if len(all) != 8 { // 4 succeeded runs in the window × (bytes, rows)
		t.Errorf("every figure: %d, want 8: %+v", len(all), all)
	}
	two, err := s.ListFigures(ctx(t), store.FigureFilter{Key: "rows", Since: at(-7 * 24 * time.Hour), Limit: 2})
	must(t, err)
	if len(two) != 2 {
		t.Errorf("limit 2: %d figures", len(two))
	}
}

func testListRunTasksOf(t *testing.T, s store.Store) {
	r1 := newRun(t, s, "p", "b", "a")
	newRun(t, s, "p", "x")
	r3 := newRun(t, s, "p", "c")
	got, err := s.ListRunTasksOf(ctx(t), []int64{r3.ID, r1.ID})
	must(t, err)
	var names []string
	for _, rt := range got {
		names = append(names, rt.Task)
	}
	equal(t, "tasks of runs 1 and 3", names, []string{"b", "a", "c"})
	none, err := s.ListRunTasksOf(ctx(t), nil)
	must(t, err)
	if len(none) != 0 {
		t.Errorf("no runs: %+v", none)
	}
	if _, err := s.ListRunTasksOf(ctx(t), make([]int64, store.MaxRunIDs+1)); err == nil {
		t.Error("more than MaxRunIDs runs: no error")
	}
}
