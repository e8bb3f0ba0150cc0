package readiness_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// attempt records a succeeded run of one task in env for the day start,
// with its peak memory, CPU over a minute's wall time, and rows.
func (f *fixture) attempt(env, task string, start time.Time, peak int64, cpu time.Duration, rows string, state record.TaskState) record.Run {
	f.t.Helper()
	r := record.Run{Pipeline: "orders", Env: env, IntervalStart: start, IntervalEnd: start.Add(24 * time.Hour),
		Trigger: record.TriggerBackfill, State: record.RunQueued, CreatedAt: start}
	f.must(f.st.CreateRun(f.t.Context(), &r, []string{task}))
	began := start.Add(25 * time.Hour)
	r.State, r.StartedAt, r.FinishedAt = record.RunSucceeded, began, began.Add(time.Minute)
	a := &record.TaskAttempt{RunID: r.ID, Task: task, Attempt: 1, State: state, StartedAt: began, FinishedAt: r.FinishedAt,
		PeakMemory: peak, CPUTime: cpu}
	if rows != "" {
		a.Outputs = []record.Output{{Key: "rows", Value: rows}}
	}
	f.must(f.st.Apply(f.t.Context(), &store.Batch{Run: &r, Insert: []*record.TaskAttempt{a}}))
	return r
}

const sizingPipeline = `pipeline: orders
tasks:
  - id: load
    run: ./load.sh
    resources: {memory: 512Mi, cpu: "2"}
  - id: report
    run: ./report.sh
    resources: {memory: 8Gi}
  - id: new
    run: ./new.sh
`

// Sizing from recorded attempts (in eu, beside the fixture's prod): the peak day is the backfill day with
// the most rows (not the highest memory), the tight task is
// under-provisioned with a recommendation, the loose one wasteful, the
// task with no attempt has nothing to say.
func TestSizingPeakDayAndRecommendation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mib := int64(1 << 20)
	loads := []struct {
		peak int64
		rows string
	}{{300, "90000"}, {320, "95000"}, {310, "410000"}, {450, "100000"}, {305, "99000"}}
	var peakRun record.Run
	for i, l := range loads {
		r := f.attempt("eu", "load", day.AddDate(0, 0, i), l.peak*mib, 90*time.Second, l.rows, record.TaskSucceeded)
		if l.rows == "410000" {
			peakRun = r
		}
		f.attempt("eu", "report", day.AddDate(0, 0, i), 100*mib, time.Second, "", record.TaskSucceeded)
	}
	p, err := spec.ParsePipeline("pipelines/orders.yaml", []byte(sizingPipeline))
	f.must(err)
	sz, err := readiness.Size(t.Context(), f.st, readiness.SizingInput{Pipeline: p, Env: "eu"})
	f.must(err)
	if sz.Source != "runs in eu" || len(sz.Tasks) != 3 {
		t.Fatalf("sizing: %+v", sz)
	}
	load, report, fresh := sz.Tasks[0], sz.Tasks[1], sz.Tasks[2]
	if load.Samples != 5 || load.Memory.Max != 450*mib || load.Memory.P50 != 310*mib || load.MemoryLimit != 512*mib {
		t.Errorf("load figures: %+v", load)
	}
	if load.Peak == nil || load.Peak.RunID != peakRun.ID || load.Peak.Rows != 410000 || !load.Peak.Start.Equal(day.AddDate(0, 0, 2)) {
		t.Errorf("load's peak day: %+v, want run %d on 2026-02-03 with 410000 rows", load.Peak, peakRun.ID)
	}
	if load.CPU.Max != 1500 || load.CPUTime.Max != 90000 {
		t.Errorf("load CPU: %+v, time %+v", load.CPU, load.CPUTime)
	}
	// 450Mi is 88% of 512Mi: 450Mi × 1.5 = 675Mi, rounded up to 704Mi.
	if len(load.Findings) != 1 || load.Findings[0].Kind != readiness.UnderProvisioned || load.Findings[0].Recommended != 704*mib ||
		!strings.Contains(load.Findings[0].Message, "set resources.memory: 704Mi") ||
		!strings.Contains(load.Findings[0].Evidence, "peak interval 2026-02-03 (run") {
		t.Errorf("load findings: %+v", load.Findings)
	}
	// 100Mi of 8Gi at p95: wasteful; 150Mi rounds up to 192Mi.
	if len(report.Findings) != 1 || report.Findings[0].Kind != readiness.Wasteful || report.Findings[0].Recommended != 192*mib {
		t.Errorf("report findings: %+v", report.Findings)
	}
	if fresh.Samples != 0 || fresh.Peak != nil || len(fresh.Findings) != 0 {
		t.Errorf("a task never run: %+v", fresh)
	}
	var text bytes.Buffer
	sz.Text(&text)
	for _, want := range []string{"sizing of orders in eu, from runs in eu", "UNDER-PROVISIONED: task load peaks at 450Mi of its 512Mi memory limit (88%); set resources.memory: 704Mi",
		"2026-02-03 run", "410000 rows", "WASTEFUL: task report"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

// A pipeline new to an environment is sized from its staging run, and
// says so; an OOM there is under-provisioned whatever the peaks say.
func TestSizingFromStagingRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run := f.attempt("staging", "load", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 120<<20, time.Second, "10", record.TaskMemoryExceeded)
	p, err := spec.ParsePipeline("pipelines/orders.yaml", []byte(sizingPipeline))
	f.must(err)
	sz, err := readiness.Size(t.Context(), f.st, readiness.SizingInput{Pipeline: p, Env: "eu-prod", StagingRunID: run.ID})
	f.must(err)
	if !strings.Contains(sz.Source, "staging run") || !strings.Contains(sz.Source, "no runs in eu-prod yet") {
		t.Errorf("source: %q", sz.Source)
	}
	load := sz.Tasks[0]
	if load.OOMs != 0 {
		t.Errorf("an OOM at 120Mi under a 512Mi limit counts at the current limit: %+v", load)
	}
	run = f.attempt("staging", "load", time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), 510<<20, time.Second, "10", record.TaskMemoryExceeded)
	sz, err = readiness.Size(t.Context(), f.st, readiness.SizingInput{Pipeline: p, Env: "eu-prod", StagingRunID: run.ID})
	f.must(err)
	load = sz.Tasks[0]
	if load.OOMs != 1 || len(load.Findings) != 1 || load.Findings[0].Kind != readiness.UnderProvisioned || load.Findings[0].Recommended != 768<<20 {
		t.Errorf("an OOM at the limit: %+v", load)
	}
}
