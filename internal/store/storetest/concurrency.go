package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// testConcurrentApply drives a run per goroutine through many batches at
// once, as parallel runs do, and checks no change was lost or mixed up.
func testConcurrentApply(t *testing.T, s store.Store) {
	const workers, steps = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	runs := make([]record.Run, workers)
	for w := range workers {
		runs[w] = newRun(t, s, "concurrent", "t")
	}
	for w := range workers {
		wg.Go(func() {
			if err := drive(t, s, runs[w], steps); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		})
	}
	// Readers at the same time must never see an error.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.ListRuns(ctx(t), store.RunFilter{Pipeline: "concurrent"}); err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, r := range runs {
		as, err := s.ListAttempts(ctx(t), r.ID, "t")
		must(t, err)
		if len(as) != steps {
			t.Fatalf("run %d has %d attempts, want %d", r.ID, len(as), steps)
		}
		for i, a := range as {
			if a.Attempt != i+1 || a.State != record.TaskFailed || a.RunID != r.ID {
				t.Errorf("run %d attempt %d: %+v", r.ID, i+1, a)
			}
		}
		rts, err := s.ListRunTasks(ctx(t), r.ID)
		must(t, err)
		if rts[0].Attempts != steps {
			t.Errorf("run %d task has Attempts %d, want %d", r.ID, rts[0].Attempts, steps)
		}
	}
}

// drive fails attempt after attempt of run's task t.
func drive(t *testing.T, s store.Store, run record.Run, steps int) error {
	var prev *record.TaskAttempt
	for i := 1; i <= steps; i++ {
		b := &store.Batch{
			Tasks:  []record.RunTask{{RunID: run.ID, Task: "t", State: record.TaskRunning, Attempts: i, UpdatedAt: at(time.Duration(i))}},
			Insert: []*record.TaskAttempt{{RunID: run.ID, Task: "t", Attempt: i, State: record.TaskRunning}},
		}
		if prev != nil {
			done := *prev
			done.State, done.ExitCode = record.TaskFailed, 1
			b.Update = []*record.TaskAttempt{&done}
		}
		if err := s.Apply(ctx(t), b); err != nil {
			return err
		}
		prev = b.Insert[0]
	}
	last := *prev
	last.State = record.TaskFailed
	return s.Apply(ctx(t), &store.Batch{Update: []*record.TaskAttempt{&last}})
}
