package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// kindOf returns t's kind; a task built without one has the default.
func kindOf(t *spec.Task) string {
	if t.Kind == "" {
		return spec.KindProcess
	}
	return t.Kind
}

// executorFor returns the executor of kind, or an error for people that
// says what this Gantry runs instead.
func executorFor(execs executor.Set, kind string) (executor.Executor, error) {
	if x, ok := execs[kind]; ok {
		return x, nil
	}
	have := "none"
	if k := execs.Kinds(); len(k) > 0 {
		have = strings.Join(k, ", ")
	}
	return nil, fmt.Errorf("no executor for tasks of kind %q here (this Gantry runs: %s)", kind, have)
}

// ReapAttempt kills whatever is left of attempt a of pipeline p, asking
// the executor of its task's kind: what the attempt was given that no
// other attempt has (its GANTRY_ATTEMPT_ID and GANTRY_OUTPUT) is what it
// looks for. When p is nil or no longer has the task, every executor is
// asked, as none touches what is not this attempt's.
func ReapAttempt(ctx context.Context, execs executor.Set, p *spec.Pipeline, a record.TaskAttempt) (bool, error) {
	h := handleOf(a)
	var t *spec.Task
	if p != nil {
		t = p.Task(a.Task)
	}
	if t != nil {
		x, err := executorFor(execs, kindOf(t))
		if err != nil {
			return false, err
		}
		return x.Reap(ctx, h)
	}
	found := false
	for _, k := range execs.Kinds() {
		f, err := execs[k].Reap(ctx, h)
		found = found || f
		if err != nil {
			return found, err
		}
	}
	return found, nil
}

// handleOf is what finds a's processes again.
func handleOf(a record.TaskAttempt) executor.Handle {
	return executor.Handle{PID: a.PID, Marks: []string{
		"GANTRY_ATTEMPT_ID=" + strconv.FormatInt(a.ID, 10),
		"GANTRY_OUTPUT=" + outputPath(a.LogPath),
	}}
}

// adoptAttempt returns what waits for a, an attempt of task t that runs
// elsewhere, when the executor of its kind can take it over; nil when not.
func adoptAttempt(ctx context.Context, execs executor.Set, t *spec.Task, a record.TaskAttempt) (func(context.Context) executor.Result, error) {
	x, err := executorFor(execs, kindOf(t))
	if err != nil {
		return nil, nil
	}
	ad, ok := x.(executor.Adopter)
	if !ok {
		return nil, nil
	}
	return ad.Adopt(ctx, handleOf(a))
}
