package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// instantExec succeeds every attempt at once: what is measured is the
// server, not the tasks.
type instantExec struct{}

func (instantExec) Run(_ context.Context, _ executor.Attempt) executor.Result {
	now := time.Now()
	return executor.Result{Outcome: executor.Succeeded, StartedAt: now, FinishedAt: now}
}

func (instantExec) Reap(context.Context, executor.Handle) (bool, error) { return false, nil }

// finishCounter hears of every finished run.
type finishCounter struct{ done chan struct{} }

func (f finishCounter) RunFinished(record.Run)                          { f.done <- struct{}{} }
func (finishCounter) AttemptFinished(_, _ string, _ record.TaskAttempt) {}
func (finishCounter) SchedulerLag(_, _ string, _ time.Duration)         {}

// wait waits for n runs to finish.
func (f finishCounter) wait(b *testing.B, n int, timeout <-chan time.Time) {
	b.Helper()
	for i := range n {
		select {
		case <-f.done:
		case <-timeout:
			b.Fatalf("only %d of %d runs finished in time", i, n)
		}
	}
}

// BenchmarkDispatchBacklog measures what one run costs the server — the
// dispatcher's wake that starts it, its execution with an executor that
// does nothing, and the wake its end causes — with a backlog of queued
// runs behind it: a backfill of that many runs (four at a time) on durable
// SQLite. The cost per run should not depend on the backlog.
//
//	go test ./internal/server -run '^$' -bench DispatchBacklog -benchtime 200x
func BenchmarkDispatchBacklog(b *testing.B) {
	for _, queued := range []int{1_000, 50_000} {
		b.Run(fmt.Sprintf("queued=%d", queued), func(b *testing.B) {
			benchBacklog(b, queued)
		})
	}
}

func benchBacklog(b *testing.B, queued int) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		b.Fatal(err)
	}
	const pipe = "pipeline: bulk\ntasks:\n  - id: work\n    run: \"true\"\n"
	if err := os.WriteFile(filepath.Join(dir, "pipelines", "bulk.yaml"), []byte(pipe), 0o644); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(b.TempDir(), "gantry.db")
	st, err := storesqlite.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}

	// The backlog stays about queued long while b.N runs are worked off.
	total := queued + b.N
	first := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	runs := make([]*record.Run, total)
	for i := range runs {
		start := first.AddDate(0, 0, i)
		runs[i] = &record.Run{Pipeline: "bulk", Trigger: record.TriggerBackfill, State: record.RunQueued,
			IntervalStart: start, IntervalEnd: start.AddDate(0, 0, 1), CreatedAt: time.Now()}
	}
	bf := record.Backfill{Pipeline: "bulk", From: first, To: first.AddDate(0, 0, total),
		Parallel: 4, State: record.BackfillRunning, CreatedAt: time.Now()}
	if err := st.CreateBackfill(ctx, &bf, runs, []string{"work"}); err != nil {
		b.Fatal(err)
	}
	// Reopened, the store has the backlog in its file rather than in a
	// write-ahead log the first runs would pay to checkpoint: the state of a
	// server that has had the backlog for a while.
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if st, err = storesqlite.Open(ctx, db); err != nil {
		b.Fatal(err)
	}
	defer st.Close()

	done := finishCounter{done: make(chan struct{}, total)}
	srv := server.New(server.Config{
		ProjectDir: dir, Store: st, Executors: executor.Set{spec.KindProcess: instantExec{}}, LogDir: b.TempDir(),
		Observer: done, DispatchEvery: time.Hour,
	})
	b.ResetTimer()
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	done.wait(b, b.N, time.After(10*time.Minute))
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	srv.Stop()
}
