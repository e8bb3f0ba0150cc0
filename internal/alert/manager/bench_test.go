package manager_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// BenchmarkEvaluate is one pass of the alert loop over 100 pipelines with
// every condition configured (SLA, freshness, row counts, degradation)
// and 30 days of history each, on a real SQLite store: what a Wake costs.
func BenchmarkEvaluate(b *testing.B) {
	const pipelines, days = 100, 30
	var targets []manager.Target
	for i := range pipelines {
		p := pipeline("p"+strconv.Itoa(i), "oncall")
		p.Schedule = &spec.Schedule{Cron: "0 2 * * *", Location: time.UTC}
		p.SLA = spec.SLA{Deadline: "06:00", Freshness: 26 * time.Hour}
		p.Monitoring.RowCounts = &spec.RowCounts{Task: "load", Min: 100, MaxDrop: 0.5}
		targets = append(targets, manager.Target{Pipeline: p, Env: "prod", Since: t0.Add(-days * 24 * time.Hour)})
	}
	h := newHarness(b, quiet(), targets...)
	for i := range pipelines {
		for d := range days {
			start := t0.Add(time.Duration(d-days) * 24 * time.Hour)
			h.run(fmt.Sprintf("p%d", i), "prod", record.RunSucceeded, start, start.Add(time.Duration(50+d)*time.Second),
				att{task: "load", state: record.TaskSucceeded, rows: strconv.Itoa(10000 + d)})
		}
	}
	h.clock.Set(t0.Add(time.Hour))
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.m.Evaluate(b.Context(), h.clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/pipelines, "µs/pipeline")
}
