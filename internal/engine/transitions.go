package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// finish records how an attempt ended and decides what follows.
func (r *runner) finish(d attemptDone) {
	r.running--
	if r.tasks[d.idx].asks() {
		r.holding--
	}
	r.releaseSlot(r.tasks[d.idx])
	now := r.e.cfg.Clock.Now()
	t := r.tasks[d.idx]
	res := d.res
	a := t.cur
	a.State = record.TaskState(res.Outcome)
	if !res.StartedAt.IsZero() {
		a.StartedAt = res.StartedAt
	}
	a.FinishedAt = res.FinishedAt
	if a.FinishedAt.IsZero() {
		a.FinishedAt = now
	}
	a.PID, a.ExitCode, a.Signal = res.PID, res.ExitCode, res.Signal
	a.PeakMemory, a.CPUTime = res.PeakMemory, res.CPUTime
	a.Outputs, a.OutputErrors, a.Error = res.Outputs, res.OutputErrors, res.Error
	storableAttempt(a)
	r.batch.Update = append(r.batch.Update, a)
	if r.e.cfg.OnAttempt != nil {
		r.ended = append(r.ended, *a)
	}
	for _, oe := range res.OutputErrors {
		r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(record.TaskRunning),
			Detail: "$GANTRY_OUTPUT " + oe + " (ignored)", Warning: true})
	}

	switch res.Outcome {
	case executor.Succeeded:
		r.set(t, record.TaskSucceeded)
		r.keepOutputs(t, a)
		r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(record.TaskSucceeded),
			Detail: strings.TrimSpace("in " + roundDuration(a.FinishedAt.Sub(a.StartedAt)).String() + " " + outputsText(a.Outputs))})
		r.met(t, now)
	case executor.Cancelled:
		if t.asks() {
			r.closeApproval(a)
		}
		r.set(t, record.TaskCancelled)
		r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(record.TaskCancelled), Detail: res.Error})
	default:
		// A teardown lost with Gantry runs again, whatever its budget:
		// what it cleans up is still there.
		lostTeardown := t.spec.Teardown && res.Outcome == executor.Outcome(record.TaskLost)
		if limit := maxAttempts(t); (r.stopping == "" || t.spec.Teardown) && (t.attempts < limit || lostTeardown) {
			limit = max(limit, t.attempts+1)
			var delay time.Duration
			if t.spec.Retries != nil {
				delay = backoff(*t.spec.Retries, t.attempts, r.e.cfg.Rand())
			}
			t.next = now.Add(delay)
			r.set(t, record.TaskRetrying)
			r.timers++
			go r.timer(t.idx, delay)
			r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(res.Outcome),
				Detail: fmt.Sprintf("%s; retrying in %s (try %d of %d next)", res.Error, roundDuration(delay), t.attempts+1, limit)})
			return
		}
		r.set(t, record.TaskState(res.Outcome))
		r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(res.Outcome), Detail: res.Error})
		if r.stopping != "" {
			return
		}
		if t.spec.Teardown {
			// What was shipped stands: a failed clean-up is a dead
			// letter (and its alert), not a failed run.
			r.emit(Event{Task: t.spec.ID, Attempt: a.Attempt, State: string(res.Outcome), Warning: true,
				Detail: "teardown failed; the run's result stands: clean up by hand or replay it"})
		} else if r.failure == "" {
			r.failure = fmt.Sprintf("task %s: %s", t.spec.ID, a.Error)
		}
		r.batch.DeadLetters = append(r.batch.DeadLetters, &record.DeadLetter{
			RunID: r.run.ID, Pipeline: r.run.Pipeline, Task: t.spec.ID, AttemptID: a.ID,
			Attempts: t.attempts, Error: a.Error, CreatedAt: now,
		})
		r.propagate(t)
	}
}

func maxAttempts(t *task) int {
	if t.spec.Retries == nil || t.spec.Retries.Attempts < 1 {
		return 1
	}
	return t.spec.Retries.Attempts
}

// propagate marks every task downstream of failed as upstream_failed.
func (r *runner) propagate(failed *task) {
	stack := []*task{failed}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range t.dependents {
			dep := r.tasks[j]
			if dep.state != record.TaskPending || dep.spec.Teardown {
				continue // a teardown runs however its needs ended
			}
			r.set(dep, record.TaskUpstreamFailed)
			r.emit(Event{Task: dep.spec.ID, State: string(record.TaskUpstreamFailed),
				Detail: fmt.Sprintf("needs %s, which did not succeed", t.spec.ID)})
			stack = append(stack, dep)
		}
	}
}

// timer wakes the loop when t's back-off has passed.
func (r *runner) timer(idx int, d time.Duration) {
	select {
	case <-r.e.cfg.Clock.After(d):
		select {
		case r.wake <- idx:
		case <-r.done:
		}
	case <-r.done:
	}
}

// stop ends the run early: the user cancelled it, or it timed out.
// Running attempts are killed by their context and report back; nothing
// new starts.
func (r *runner) stop(runCtx context.Context) {
	switch {
	case r.cancelled:
		r.stopping = "cancelled"
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		r.stopping = "run timed out after " + r.req.Pipeline.Timeout.String()
	default:
		r.stopping = "stopped"
	}
	var keep []int
	for _, t := range r.tasks {
		if t.spec.Teardown {
			// It still runs once its needs end; one already in line stays.
			if t.state == record.TaskQueued || t.state == record.TaskWaitingPool {
				keep = append(keep, t.idx)
			}
			continue
		}
		switch t.state {
		case record.TaskPending, record.TaskQueued, record.TaskWaitingPool, record.TaskRetrying:
			r.set(t, record.TaskCancelled)
			r.emit(Event{Task: t.spec.ID, State: string(record.TaskCancelled), Detail: r.stopping})
		}
	}
	r.leaveLine()
	r.queue, r.asks = keep, nil
	// Persisted with the tasks just cancelled: a run restored while its
	// teardowns run ends as it was stopped, not as failed.
	r.run.Error = stoppingMark + r.stopping
	r.batch.Run = &r.run
}

// stoppingMark starts the Error of a run that stopped early and has not
// ended yet (its teardowns run): restore reads why it stopped from it.
const stoppingMark = "stopping: "

// settle decides the run's final state.
func (r *runner) settle() {
	r.removeEphemeral()
	r.run.FinishedAt = r.e.cfg.Clock.Now()
	switch {
	case r.cancelled:
		r.run.State, r.run.Error = record.RunCancelled, "cancelled"
	case r.stopping != "":
		r.run.State, r.run.Error = record.RunFailed, r.stopping
	case r.failure != "":
		r.run.State, r.run.Error = record.RunFailed, r.failure
	default:
		r.run.State = record.RunSucceeded
		for _, t := range r.tasks {
			if !t.state.Met() && !t.spec.Teardown {
				r.run.State, r.run.Error = record.RunFailed, "task "+t.spec.ID+" "+string(t.state)
				break
			}
		}
	}
	r.batch.Run = &r.run
	r.emit(Event{State: string(r.run.State), Detail: r.run.Error})
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

func outputsText(o []record.Output) string {
	parts := make([]string, len(o))
	for i, kv := range o {
		parts[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(parts, " ")
}

// closeApproval ends the question of a cancelled approval attempt, so
// that nobody decides it any more. The executor cannot: a cancelled run
// and a suspended one look the same to it. A store that fails leaves it
// waiting, which no decision can act on once the task is recorded
// cancelled.
func (r *runner) closeApproval(a *record.TaskAttempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.e.cfg.Store.EndTaskApproval(ctx, a.ID, record.ApprovalCancelled, r.e.cfg.Clock.Now())
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		r.e.cfg.Logger.Warn("close the approval of a cancelled task", "run_id", r.run.ID, "task", a.Task, "err", err)
	}
}

// removeEphemeral removes the throwaway environments of the run's tasks.
func (r *runner) removeEphemeral() {
	done := map[string]bool{}
	for _, t := range r.tasks {
		name := t.spec.Environment
		if !t.spec.Ephemeral || done[name] {
			continue
		}
		done[name] = true
		dir := r.envDir(name)
		if _, err := os.Stat(dir); err != nil {
			continue // never made
		}
		if err := os.RemoveAll(dir); err != nil {
			r.emit(Event{Task: t.spec.ID, State: string(t.state), Warning: true,
				Detail: fmt.Sprintf("could not remove the throwaway %s (%s): %v", r.envName(t.spec), dir, err)})
			continue
		}
		r.e.cfg.Logger.Info("removed a throwaway environment", "run_id", r.run.ID, "env", r.envName(t.spec), "dir", dir)
	}
}
