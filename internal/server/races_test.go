package server_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// A run Cancel reported cancelled stays cancelled, even when the
// dispatcher was about to start it.
func TestCancelJustTriggered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"p.yaml": "pipeline: p\nconcurrency: {max_active_runs: 100}\ntasks:\n  - id: t\n    run: \"true\"\n",
	})
	srv := e.start()
	var ok []int64
	wrong := 0
	for range 100 {
		r, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "p"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := srv.Cancel(e.ctx, r.ID, "bob")
		switch {
		case err == nil && got.State == record.RunCancelled:
			ok = append(ok, r.ID)
		case err == nil:
			// Cancel succeeded, yet the run it returns is not cancelled.
			wrong++
			t.Errorf("Cancel of run %d returned no error and the run %s (%q)", r.ID, got.State, got.Error)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("Cancel of run %d: %v", r.ID, err)
		}
	}
	waitAllFinal(t, e)
	changed := 0
	var example record.Run
	for _, id := range ok {
		if r := e.run(id); r.State != record.RunCancelled {
			changed++
			example = r
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d runs that Cancel returned as cancelled ended otherwise, e.g. run %d %s with %d attempt(s)",
			changed, len(ok), example.ID, example.State, len(e.attempts(example.ID, "")))
	}
	t.Logf("%d cancels returned a non-cancelled run; %d returned cancelled runs that later changed", wrong, changed)
}

// A run left running by a stopped server whose pipeline is gone cannot be
// resumed; cancelling it must still close its attempt.
func TestCancelOrphanedRunningRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"held.yaml":  "pipeline: held\ntasks:\n  - id: a\n    run: echo $$ > pid.tmp && mv pid.tmp pid; " + gate("gate") + "\n",
		"probe.yaml": "pipeline: probe\ntasks:\n  - id: t\n    run: \"true\"\n",
	})
	srv := e.start()
	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "held"})
	if err != nil {
		t.Fatal(err)
	}
	pid := e.readPID("pid")
	eventually(t, waitFor, "the attempt to be recorded running", func() bool {
		as := e.attempts(run.ID, "a")
		return len(as) == 1 && as[0].State == record.TaskRunning
	})
	srv.Stop()
	waitGone(t, pid)
	if err := os.Remove(e.path("pipelines/held.yaml")); err != nil {
		t.Fatal(err)
	}
	srv = e.start()
	got, err := srv.Cancel(e.ctx, run.ID, "bob")
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if got.State != record.RunCancelled {
		t.Errorf("cancel returned %s, want cancelled", got.State)
	}
	for _, a := range e.attempts(run.ID, "") {
		if !a.State.Final() || a.FinishedAt.IsZero() {
			t.Errorf("after Cancel of run %d (%s), attempt %s#%d is still %s with no end",
				run.ID, got.State, a.Task, a.Attempt, a.State)
		}
	}
}

// recorder is an Observer that keeps what it hears.
type recorder struct {
	mu       sync.Mutex
	runs     []record.Run
	attempts []record.TaskAttempt
	lags     map[string]time.Duration
}

func (r *recorder) RunFinished(run record.Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, run)
}

func (r *recorder) AttemptFinished(_, _ string, a record.TaskAttempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, a)
}

func (r *recorder) SchedulerLag(pipeline, _ string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lags[pipeline] = d
}

// The observer hears of every finished run and attempt, and of the lag of
// scheduled runs; the gauges read the store.
func TestObserver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"ab.yaml": abPipeline,
		"hourly.yaml": `pipeline: hourly
schedule: {cron: "0 * * * *"}
tasks:
  - id: t
    run: "true"
`,
	})
	rec := &recorder{lags: map[string]time.Duration{}}
	srv := e.newServer()
	srv.SetObserver(rec)
	if err := srv.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	e.srv = srv
	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "ab"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitState(run.ID, record.RunSucceeded)
	var sched record.Run
	eventually(t, waitFor, "hourly's scheduled run to succeed", func() bool {
		rs := e.runs(store.RunFilter{Pipeline: "hourly", States: []record.RunState{record.RunSucceeded}})
		if len(rs) == 1 {
			sched = rs[0]
		}
		return len(rs) == 1
	})
	eventually(t, waitFor, "the observer to hear of both runs and three attempts", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.runs) == 2 && len(rec.attempts) == 3
	})
	rec.mu.Lock()
	lag, ok := rec.lags["hourly"]
	rec.mu.Unlock()
	if !ok {
		t.Errorf("no scheduler lag for hourly")
	} else if want := sched.StartedAt.Sub(sched.IntervalEnd); lag < 0 || lag > want+time.Second {
		t.Errorf("scheduler lag = %s, want about %s", lag, want)
	}
	if _, ok := rec.lags["ab"]; ok {
		t.Errorf("a manual run reported a scheduler lag")
	}
	last := srv.LastSuccess()
	if !last["ab"][""].Equal(run.IntervalEnd) || !last["hourly"][""].Equal(sched.IntervalEnd) {
		t.Errorf("LastSuccess = %v", last)
	}
	if n := srv.QueueDepth(); n != 0 {
		t.Errorf("QueueDepth = %d with nothing queued", n)
	}
	eventually(t, waitFor, "no task attempt in flight", func() bool { return srv.RunningTasks() == 0 })
}

// A run the engine cannot execute (its pipeline lost the task it was
// created with) must end, not stay unfinished while the dispatcher retries
// it, and fails, at every pass.
func TestRunThatCannotExecute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"p.yaml": "pipeline: p\ntasks:\n  - id: old\n    run: \"true\"\n"})
	srv := e.start()
	if err := srv.SetPaused(e.ctx, "p", true, "bob"); err != nil {
		t.Fatal(err)
	}
	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "p"})
	if err != nil {
		t.Fatal(err)
	}
	e.write("p.yaml", "pipeline: p\ntasks:\n  - id: new\n    run: \"true\"\n")
	if res, err := srv.Reload(e.ctx); err != nil || len(res.Errors) != 0 {
		t.Fatalf("reload: %v %v", res, err)
	}
	if err := srv.SetPaused(e.ctx, "p", false, "bob"); err != nil {
		t.Fatal(err)
	}
	// Either the run ends (failed), or the dispatcher keeps retrying it:
	// count its attempts to execute in the log.
	tries := func() int { return strings.Count(e.log.String(), "which pipeline p no longer has") }
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && !e.run(run.ID).State.Final() && tries() < 100 {
		time.Sleep(10 * time.Millisecond)
	}
	if r := e.run(run.ID); r.State != record.RunFailed || !strings.Contains(r.Error, "no longer has") {
		t.Errorf("run %d is still %s after 3s; the dispatcher tried to execute it %d times, each failing with %q",
			run.ID, r.State, tries(), "restore run: it has task \"old\", which pipeline p does not")
	}
}
