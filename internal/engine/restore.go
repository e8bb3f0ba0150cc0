package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
)

// ErrMismatch marks a run that cannot be executed with the pipeline given:
// the pipeline changed under it.
var ErrMismatch = errors.New("run does not match its pipeline")

// Execute takes an existing run to its end: a queued run starts, and a run
// that was running when Gantry stopped resumes from its recorded state.
// Attempts that were running are found and killed if their processes
// outlived Gantry, recorded lost, and retried within their budget.
// req.Pipeline must be the pipeline the run was created for; req's
// Params, Start and End are ignored in favour of the run's.
func (e *Engine) Execute(ctx context.Context, req Request, run record.Run) (record.Run, error) {
	r, err := e.newRunner(req, run)
	if err != nil {
		return run, err
	}
	r.setLogDir()
	if err := r.restore(ctx); err != nil {
		return r.run, err
	}
	err = r.loop(ctx)
	return r.run, err
}

// restore rebuilds the loop's view of the run from the store.
func (r *runner) restore(ctx context.Context) error {
	st := r.e.cfg.Store
	tasks, err := st.ListRunTasks(ctx, r.run.ID)
	if err != nil {
		return fmt.Errorf("restore run %d: %w", r.run.ID, err)
	}
	attempts, err := st.ListAttempts(ctx, r.run.ID, "")
	if err != nil {
		return fmt.Errorf("restore run %d: %w", r.run.ID, err)
	}
	last := make(map[string]record.TaskAttempt, len(tasks))
	seq := make(map[string]int, len(tasks))
	for _, a := range attempts {
		last[a.Task] = a
		seq[a.Task] = max(seq[a.Task], a.Attempt)
	}
	for _, rt := range tasks {
		i, ok := r.byID[rt.Task]
		if !ok {
			return fmt.Errorf("%w: run %d has task %q, which pipeline %s no longer has", ErrMismatch, r.run.ID, rt.Task, r.run.Pipeline)
		}
		t := r.tasks[i]
		t.state, t.attempts, t.next, t.seq = rt.State, rt.Attempts, rt.NextAttempt, seq[rt.Task]
		if a, ok := last[rt.Task]; ok && t.state == record.TaskSucceeded && a.State == record.TaskSucceeded {
			r.keepOutputs(t, &a)
		}
		if t.state.Final() {
			r.final++
		}
	}
	for _, t := range r.tasks {
		t.waiting = 0
		for _, n := range t.spec.Needs {
			if !r.tasks[r.byID[n]].state.Met() {
				t.waiting++
			}
		}
	}
	now := r.e.cfg.Clock.Now()
	r.markRunning(now)
	if why, ok := strings.CutPrefix(r.run.Error, stoppingMark); ok {
		// It stopped early (cancelled, timed out) before Gantry did:
		// only its teardowns are left to run.
		r.stopping, r.cancelled = why, why == "cancelled"
	}
	// As stored: a pending task readied on the way (its need skipped) is
	// not queued twice.
	stored := make([]record.TaskState, len(r.tasks))
	for i, t := range r.tasks {
		stored[i] = t.state
	}
	for _, t := range r.tasks {
		switch stored[t.idx] {
		case record.TaskPending:
			r.restorePending(t, now)
		case record.TaskQueued, record.TaskWaitingPool:
			// Slots are held in memory: a restored run asks again.
			r.enqueue(t)
		case record.TaskWaitingApproval:
			a, ok := last[t.spec.ID]
			if !ok || a.State != record.TaskRunning {
				r.ready(t, now)
				continue
			}
			// The question and its decisions are in the store: the same
			// attempt waits on, its deadline counted from its start.
			t.cur = &a
			r.starts = append(r.starts, t.idx)
			r.running++
			r.holding++
		case record.TaskRetrying:
			delay := max(t.next.Sub(now), 0)
			r.timers++
			go r.timer(t.idx, delay)
		case record.TaskRunning:
			a, ok := last[t.spec.ID]
			if !ok || a.State != record.TaskRunning {
				// The attempt never got recorded: start it afresh.
				r.ready(t, now)
				continue
			}
			r.recoverAttempt(ctx, t, a)
		}
	}
	return nil
}

// restorePending queues a pending task whose needs all succeeded, and fails
// one whose need can no longer succeed.
func (r *runner) restorePending(t *task, now time.Time) {
	if t.state != record.TaskPending {
		return // readied already, after a need of it was skipped
	}
	for _, n := range t.spec.Needs {
		if s := r.tasks[r.byID[n]].state; s.Final() && !s.Met() {
			r.propagate(r.tasks[r.byID[n]])
			return
		}
	}
	if t.waiting == 0 {
		r.ready(t, now)
	}
}

// recoverAttempt records an attempt that was running when Gantry stopped
// as lost, having the executor of its task's kind kill what is left of it
// first, and lets the usual rules decide whether it is retried.
func (r *runner) recoverAttempt(ctx context.Context, t *task, a record.TaskAttempt) {
	// An attempt a worker runs, or ran, is taken over: its result (maybe
	// recorded already) is waited for, not thrown away.
	wait, err := adoptAttempt(ctx, r.e.cfg.Executors, t.spec, a)
	if err != nil {
		r.e.cfg.Logger.Warn("take over an attempt a worker runs; reaping it instead", "run_id", r.run.ID, "task", t.spec.ID, "err", err)
	}
	if wait != nil {
		t.cur = &a
		r.running++
		r.adopted = append(r.adopted, adoption{idx: t.idx, wait: wait})
		return
	}
	msg := "lost: Gantry stopped while it ran"
	killed, err := ReapAttempt(ctx, r.e.cfg.Executors, r.req.Pipeline, a)
	switch {
	case err != nil:
		r.e.cfg.Logger.Warn("reap orphaned attempt", "run_id", r.run.ID, "task", t.spec.ID, "pid", a.PID, "err", err)
	case killed:
		msg = "lost: Gantry stopped while it ran; what was left of it was killed on restart"
	}
	t.cur = &a
	r.running++
	r.finish(attemptDone{idx: t.idx, res: executor.Result{
		Outcome:    executor.Outcome(record.TaskLost),
		ExitCode:   -1,
		PID:        a.PID,
		StartedAt:  a.StartedAt,
		FinishedAt: r.e.cfg.Clock.Now(),
		Error:      msg,
	}})
}
