package storepg_test

import (
	"fmt"
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

// BenchmarkDispatchPoll measures the dispatcher's poll: the queues, then the
// heads of each, over 10 pipelines with 20 waiting runs each among 200
// finished ones.
func BenchmarkDispatchPoll(b *testing.B) {
	s := openAt(b, schemaURL(b))
	for i := range 400 {
		r := record.Run{Pipeline: fmt.Sprintf("p%02d", i%10), Trigger: record.TriggerManual}
		if i/10%2 == 0 {
			r.State = record.RunSucceeded
		}
		if err := s.CreateRun(b.Context(), &r, []string{"t"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		qs, err := s.ListQueues(b.Context())
		if err != nil || len(qs) != 10 {
			b.Fatal(len(qs), err)
		}
		for _, q := range qs {
			if runs, err := s.ListQueued(b.Context(), store.QueueFilter{Queue: q, Limit: 8}); err != nil || len(runs) != 8 {
				b.Fatal(len(runs), err)
			}
		}
	}
}

// BenchmarkGetAttempt measures a read.
func BenchmarkGetAttempt(b *testing.B) {
	s := openAt(b, schemaURL(b))
	run := record.Run{Pipeline: "bench", Trigger: record.TriggerManual}
	if err := s.CreateRun(b.Context(), &run, []string{"t"}); err != nil {
		b.Fatal(err)
	}
	a := &record.TaskAttempt{RunID: run.ID, Task: "t", Attempt: 1, State: record.TaskRunning, QueuedAt: time.Now()}
	if err := s.Apply(b.Context(), &store.Batch{Insert: []*record.TaskAttempt{a}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetAttempt(b.Context(), a.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStore measures the alert loop's and deploy flow's calls.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openAt(b, schemaURL(b)) })
}
