package storesqlite_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
	"github.com/gantryhq/gantry/internal/store/storetest"
)

// benchStore opens a store in dir (b.TempDir by default; set TMPDIR to
// measure another file system) with a run whose task "t" is running.
func benchStore(b *testing.B, query string) (*storesqlite.Store, record.Run) {
	b.Helper()
	s, err := storesqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db")+query)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	run := record.Run{Pipeline: "bench", Trigger: record.TriggerManual, Params: map[string]string{"a": "b"}}
	if err := s.CreateRun(b.Context(), &run, []string{"t", "u"}); err != nil {
		b.Fatal(err)
	}
	return s, run
}

// finishAndNext is the engine's commonest batch: the run's state, the
// attempt that ended, the task's new state, and its next attempt.
func finishAndNext(run record.Run, prev *record.TaskAttempt, n int) *store.Batch {
	now := time.Now()
	b := &store.Batch{
		Run: &record.Run{ID: run.ID, State: record.RunRunning, StartedAt: now},
		Tasks: []record.RunTask{{RunID: run.ID, Task: "t", State: record.TaskRunning,
			Attempts: n, UpdatedAt: now}},
		Insert: []*record.TaskAttempt{{RunID: run.ID, Task: "t", Attempt: n,
			State: record.TaskRunning, QueuedAt: now, StartedAt: now, PID: 4242,
			LogPath: "/var/lib/gantry/logs/bench/t.log"}},
	}
	if prev != nil {
		done := *prev
		done.State, done.FinishedAt, done.ExitCode = record.TaskFailed, now, 1
		done.Outputs = []record.Output{{Key: "rows", Value: "1200"}, {Key: "bytes", Value: "4096"}}
		done.Error = "exit status 1"
		b.Update = []*record.TaskAttempt{&done}
	}
	return b
}

func benchmarkApply(b *testing.B, query string, withRun bool) {
	s, run := benchStore(b, query)
	var prev *record.TaskAttempt
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		batch := finishAndNext(run, prev, n)
		if !withRun {
			batch.Run = nil
		}
		if err := s.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		prev = batch.Insert[0]
	}
}

// BenchmarkApply measures one batch finishing an attempt and starting the
// next, committed with the default synchronous=NORMAL. The batch also
// rewrites the run, its state unchanged, which costs a write to the partial
// index runs_active: the engine sends the run only when its state changes.
func BenchmarkApply(b *testing.B) { benchmarkApply(b, "", true) }

// BenchmarkApplyTasks is BenchmarkApply without the run: the batch the
// engine commits for most task state changes.
func BenchmarkApplyTasks(b *testing.B) { benchmarkApply(b, "", false) }

// BenchmarkApplySynchronousFull is BenchmarkApply with an fsync per commit.
func BenchmarkApplySynchronousFull(b *testing.B) { benchmarkApply(b, "?synchronous=full", true) }

// BenchmarkApplyParallel has many goroutines committing to their own runs,
// all through the one write connection.
func BenchmarkApplyParallel(b *testing.B) {
	s, _ := benchStore(b, "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		run := record.Run{Pipeline: "bench", Trigger: record.TriggerManual}
		if err := s.CreateRun(b.Context(), &run, []string{"t"}); err != nil {
			b.Error(err)
			return
		}
		var prev *record.TaskAttempt
		n := 0
		for pb.Next() {
			n++
			batch := finishAndNext(run, prev, n)
			if err := s.Apply(b.Context(), batch); err != nil {
				b.Error(err)
				return
			}
			prev = batch.Insert[0]
		}
	})
}

// BenchmarkGetAttempt measures a read on the read pool.
func BenchmarkGetAttempt(b *testing.B) {
	s, run := benchStore(b, "")
	batch := finishAndNext(run, nil, 1)
	if err := s.Apply(b.Context(), batch); err != nil {
		b.Fatal(err)
	}
	id := batch.Insert[0].ID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetAttempt(b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStore measures the alert loop's and deploy flow's calls.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { s, _ := benchStore(b, ""); return s })
}

// BenchmarkClaimLifecycle measures what routing an attempt through the
// claims table would add per task on SQLite — queued, claimed, completed,
// deleted, four commits — against BenchmarkApply's one commit per state
// change: the figure behind keeping SQLite's dispatch in-process.
func BenchmarkClaimLifecycle(b *testing.B) {
	s, _ := benchStore(b, "")
	storetest.BenchClaimLifecycle(b, s, 1)
}

// BenchmarkOpenNew measures opening a store on a new file, which creates
// the schema, and closing it; BenchmarkOpenCurrent the same on a file
// whose schema is current: what every command but a project's first pays.
func BenchmarkOpenNew(b *testing.B) {
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		s, err := storesqlite.Open(b.Context(), filepath.Join(dir, strconv.Itoa(i)+".db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenCurrent(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := storesqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := storesqlite.Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
