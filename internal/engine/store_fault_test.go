package engine_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storefault"
)

// faultPipeline has every kind of step: a chain, a task that fails once and
// is retried, one whose retries run out (a dead letter), an independent one.
func faultPipeline() *spec.Pipeline {
	three := &spec.Retries{Attempts: 3, Backoff: "constant", Initial: time.Millisecond}
	return pipeline(
		spec.Task{ID: "a", Run: `echo a >> order.txt`, Retries: three},
		spec.Task{ID: "b", Needs: []string{"a"}, Retries: three,
			Run: `if [ -e b.once ]; then exit 0; fi; touch b.once; exit 3`},
		spec.Task{ID: "c", Needs: []string{"a"}, Retries: three, Run: `exit 4`},
		spec.Task{ID: "d", Run: `true`, Retries: three},
	)
}

var faultWant = map[string]record.TaskState{
	"a": record.TaskSucceeded, "b": record.TaskSucceeded, "c": record.TaskFailed, "d": record.TaskSucceeded,
}

// runBounded runs f, failing the test if it does not return in time: a
// run that waits forever is the defect these tests are about.
func runBounded[T any](t *testing.T, what string, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := f(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not return: the run is wedged", what)
		panic("unreachable")
	}
}

func (h *harness) faultRun(fs *storefault.Store) (record.Run, error) {
	return runBounded(h.t, "Run", func() (record.Run, error) {
		return h.eng.Run(context.Background(), engine.Request{Pipeline: faultPipeline(), Dir: h.dir,
			Start: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	})
}

// assertSettled checks the run ended as a clean run does. With killed
// set, the loop stopped and killed what ran: a task that fails on every
// attempt may then end lost (its last attempt was the killed one).
func (h *harness) assertSettled(runID int64, killed bool) {
	h.t.Helper()
	got := map[string]record.TaskState{}
	for name, rt := range h.tasks(runID) {
		got[name] = rt.State
		if killed && name == "c" && rt.State == record.TaskLost {
			got[name] = record.TaskFailed
		}
	}
	if !maps.Equal(got, faultWant) {
		h.t.Errorf("task states %v, want %v", got, faultWant)
	}
	for _, a := range h.attempts(runID, "") {
		if a.State == record.TaskRunning {
			h.t.Errorf("attempt %s#%d still recorded running after the run ended", a.Task, a.Attempt)
		}
	}
	run, err := h.store.GetRun(context.Background(), runID)
	if err != nil {
		h.t.Fatal(err)
	}
	if run.State != record.RunFailed || !strings.Contains(run.Error, "task c") {
		h.t.Errorf("run %s (%s), want failed because of task c", run.State, run.Error)
	}
}

// faultHarness is a harness whose engine writes through a fault store.
func faultHarness(t *testing.T) (*harness, *storefault.Store) {
	var fs *storefault.Store
	h := newHarness(t, func(c *engine.Config) {
		fs = storefault.New(c.Store)
		c.Store = fs
	})
	return h, fs
}

// TestStoreFailsAtEveryCommitPoint fails each of the engine's commits in
// turn: with a transient error three times over (the run waits, says so,
// and finishes as if nothing happened), with an error of unknown kind once
// (retried the same way), and with a conflict, which retrying cannot mend
// (the loop stops without waiting for attempts that never started, and
// Execute, as the server calls it, finishes the run from the store).
func TestStoreFailsAtEveryCommitPoint(t *testing.T) {
	t.Parallel()
	clean, fs := faultHarness(t)
	run, err := clean.faultRun(fs)
	if err != nil {
		t.Fatalf("clean run: %v", err)
	}
	clean.assertSettled(run.ID, false)
	commits := fs.Writes() // the first is CreateRun
	if commits < 6 {
		t.Fatalf("only %d writes in a clean run; the pipeline should take more steps", commits)
	}
	modes := map[string]func(k int) storefault.Rule{
		"unavailable": func(k int) storefault.Rule {
			return func(n int, _ string, _ *store.Batch) error {
				if n >= k && n < k+3 {
					return fmt.Errorf("%w: injected outage", store.ErrUnavailable)
				}
				return nil
			}
		},
		"unknown": func(k int) storefault.Rule {
			return func(n int, _ string, _ *store.Batch) error {
				if n == k {
					return errors.New("injected: disk I/O error")
				}
				return nil
			}
		},
		"conflict": func(k int) storefault.Rule {
			return func(n int, _ string, _ *store.Batch) error {
				if n == k {
					return fmt.Errorf("%w: injected", store.ErrConflict)
				}
				return nil
			}
		},
	}
	for mode, rule := range modes {
		for k := 2; k <= commits; k++ {
			t.Run(fmt.Sprintf("%s/commit-%d", mode, k), func(t *testing.T) {
				t.Parallel()
				h, fs := faultHarness(t)
				fs.SetRule(rule(k))
				run, err := h.faultRun(fs)
				if fs.Failed() == 0 {
					t.Skipf("the run took fewer than %d writes this time", k)
				}
				if mode == "conflict" {
					if !errors.Is(err, engine.ErrStore) {
						t.Fatalf("Run = %v, want ErrStore", err)
					}
					stored, gerr := h.store.GetRun(context.Background(), run.ID)
					if gerr != nil {
						t.Fatal(gerr)
					}
					_, err = runBounded(t, "Execute", func() (record.Run, error) {
						return h.eng.Execute(context.Background(), engine.Request{Pipeline: faultPipeline(), Dir: h.dir}, stored)
					})
				}
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				h.assertSettled(run.ID, mode == "conflict")
				if mode == "unavailable" && !h.saw("waiting for the store") {
					t.Error("the run never said it was waiting for the store")
				}
			})
		}
	}
}

func (h *harness) saw(detail string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.evs {
		if ev.Warning && strings.Contains(ev.Detail, detail) {
			return true
		}
	}
	return false
}

// TestCreateRunFailureCreatesNothing: a run the store would not create is
// an error at once, and nothing runs.
func TestCreateRunFailureCreatesNothing(t *testing.T) {
	t.Parallel()
	h, fs := faultHarness(t)
	fs.SetRule(func(int, string, *store.Batch) error {
		return fmt.Errorf("%w: injected", store.ErrUnavailable)
	})
	_, err := h.faultRun(fs)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Run = %v, want the store's error", err)
	}
	if runs, _ := h.store.ListRuns(context.Background(), store.RunFilter{}); len(runs) != 0 {
		t.Errorf("%d runs stored", len(runs))
	}
}

// TestCancelWhileStoreIsDown: a cancel that comes while the run waits for
// the store kills the attempts and is recorded once the store is back.
func TestCancelWhileStoreIsDown(t *testing.T) {
	t.Parallel()
	h, fs := faultHarness(t)
	cancel := make(chan struct{})
	// Fail every step that records an attempt's end (the long task is
	// running then) until the cancel has been seen by 20 more retries:
	// the fake clock fires at once, and a retry that finds both its timer
	// and the cancel ready takes either, so the cancel is taken while the
	// store is down but for a chance of 2^-20.
	after := 0
	fs.SetRule(func(_ int, _ string, b *store.Batch) error {
		if b == nil || len(b.Update) == 0 {
			return nil
		}
		select {
		case <-cancel:
			after++
			if after > 20 {
				return nil
			}
		default:
			close(cancel) // the first failed step: the user cancels now
		}
		return fmt.Errorf("%w: injected outage", store.ErrUnavailable)
	})
	p := pipeline(
		spec.Task{ID: "quick", Run: `true`},
		spec.Task{ID: "long", Run: `sleep 60`},
	)
	run, err := runBounded(t, "Run", func() (record.Run, error) {
		return h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Cancel: cancel})
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if run.State != record.RunCancelled {
		t.Errorf("run %s, want cancelled", run.State)
	}
	if got := h.tasks(run.ID)["long"].State; got != record.TaskCancelled {
		t.Errorf("long task %s, want cancelled", got)
	}
}
