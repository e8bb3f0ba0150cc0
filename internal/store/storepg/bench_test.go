package storepg_test

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storetest"
)

// BenchmarkApply measures one batch finishing an attempt and starting the
// next: the engine's commonest write.
func BenchmarkApply(b *testing.B) {
	s := openAt(b, schemaURL(b))
	run := record.Run{Pipeline: "bench", Trigger: record.TriggerManual}
	if err := s.CreateRun(b.Context(), &run, []string{"t"}); err != nil {
		b.Fatal(err)
	}
	var prev *record.TaskAttempt
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		now := time.Now()
		batch := &store.Batch{
			Run:    &record.Run{ID: run.ID, State: record.RunRunning, StartedAt: now},
			Tasks:  []record.RunTask{{RunID: run.ID, Task: "t", State: record.TaskRunning, Attempts: n, UpdatedAt: now}},
			Insert: []*record.TaskAttempt{{RunID: run.ID, Task: "t", Attempt: n, State: record.TaskRunning, QueuedAt: now, StartedAt: now}},
		}
		if prev != nil {
			done := *prev
			done.State, done.FinishedAt, done.ExitCode = record.TaskFailed, now, 1
			done.Outputs = []record.Output{{Key: "rows", Value: "1200"}}
			batch.Update = []*record.TaskAttempt{&done}
		}
		if err := s.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		prev = batch.Insert[0]
	}
}

// BenchmarkStore measures the alert loop's and deploy flow's calls.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openAt(b, schemaURL(b)) })
}
