package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// stagingTasks deploy into a throwaway staging, smoke-test it with smoke,
// and tear it down, writing what the teardown saw into the project.
func stagingTasks(smoke string) *spec.Pipeline {
	return pipeline(
		spec.Task{ID: "build", Run: "true"},
		spec.Task{ID: "deploy_staging", Needs: []string{"build"}, Environment: "staging", Ephemeral: true,
			Run: `echo app > "$GANTRY_ENV_DIR/app"; echo "name=$GANTRY_ENV_NAME" > "$GANTRY_OUTPUT"; echo "dir=$GANTRY_ENV_DIR" >> "$GANTRY_OUTPUT"`},
		spec.Task{ID: "smoke_staging", Needs: []string{"deploy_staging"}, Environment: "staging", Ephemeral: true, Run: smoke},
		spec.Task{ID: "teardown_staging", Needs: []string{"deploy_staging", "smoke_staging"}, Environment: "staging", Ephemeral: true, Teardown: true,
			Run: `ls "$GANTRY_ENV_DIR" > teardown.txt; echo "$GANTRY_ENV_NAME" >> teardown.txt`},
		spec.Task{ID: "deploy_prod", Needs: []string{"smoke_staging"}, Run: "echo prod > prod.txt"},
	)
}

var stagingEnvs = map[string]engine.Environment{"staging": {}}

// A failed smoke test in a throwaway staging: what comes after it does not
// run, the teardown does, in the same folder under the same name, and the
// folder is gone when the run ends.
func TestTeardownRunsAfterAFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: stagingTasks("exit 3"), Dir: h.dir, Environments: stagingEnvs})
	if err != nil {
		t.Fatal(err)
	}
	ts := h.tasks(run.ID)
	if run.State != record.RunFailed || ts["smoke_staging"].State != record.TaskFailed ||
		ts["deploy_prod"].State != record.TaskUpstreamFailed || ts["teardown_staging"].State != record.TaskSucceeded {
		t.Fatalf("run %s; tasks %+v", run.State, ts)
	}
	want := "app\nstaging-run-" + itoa(run.ID) + "\n"
	if got, _ := os.ReadFile(filepath.Join(h.dir, "teardown.txt")); string(got) != want {
		t.Errorf("the teardown saw %q, want %q", got, want)
	}
	dep := h.attempts(run.ID, "deploy_staging")
	var dir string
	for _, o := range dep[0].Outputs {
		if o.Key == "dir" {
			dir = o.Value
		}
	}
	if dir == "" || !strings.Contains(dir, "env-staging") {
		t.Fatalf("deploy_staging's folder %q", dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the throwaway staging %s is still there (%v)", dir, err)
	}
	if run.Error != "task smoke_staging: exit status 3" {
		t.Errorf("run error %q: the failure, not the teardown, says why", run.Error)
	}
}

// Cancelled while the smoke test runs: the teardown still runs, and the
// run ends cancelled.
func TestTeardownRunsWhenCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	cancel := make(chan struct{})
	ch := make(chan runResult, 1)
	go func() {
		r, err := h.eng.Run(context.Background(), engine.Request{Pipeline: stagingTasks("touch smoking; sleep 60"), Dir: h.dir,
			Environments: stagingEnvs, Cancel: cancel})
		ch <- runResult{r, err}
	}()
	waitFile(t, filepath.Join(h.dir, "smoking"))
	close(cancel)
	res := waitResult(t, ch)
	if res.err != nil {
		t.Fatal(res.err)
	}
	ts := h.tasks(res.run.ID)
	if res.run.State != record.RunCancelled || ts["smoke_staging"].State != record.TaskCancelled ||
		ts["teardown_staging"].State != record.TaskSucceeded || ts["deploy_prod"].State != record.TaskCancelled {
		t.Fatalf("run %s; tasks %+v", res.run.State, ts)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "teardown.txt")); !strings.HasPrefix(string(got), "app\n") {
		t.Errorf("the teardown saw %q", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "logs", itoa(res.run.ID), "env-staging")); !os.IsNotExist(err) {
		t.Errorf("the throwaway staging is still there (%v)", err)
	}
}

// When everything succeeds the teardown runs last, and the run succeeds.
func TestTeardownAfterSuccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: stagingTasks("test -f \"$GANTRY_ENV_DIR/app\""), Dir: h.dir, Environments: stagingEnvs})
	if err != nil {
		t.Fatal(err)
	}
	if ts := h.tasks(run.ID); run.State != record.RunSucceeded || ts["teardown_staging"].State != record.TaskSucceeded || ts["deploy_prod"].State != record.TaskSucceeded {
		t.Fatalf("run %s %q; tasks %+v", run.State, run.Error, ts)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A run that times out still tears down: the run's deadline does not
// cut the teardown short.
func TestTeardownRunsWhenTheRunTimesOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := stagingTasks("sleep 60")
	p.Timeout = 500 * time.Millisecond
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: stagingEnvs})
	if err != nil {
		t.Fatal(err)
	}
	ts := h.tasks(run.ID)
	if run.State != record.RunFailed || !strings.Contains(run.Error, "run timed out") || ts["teardown_staging"].State != record.TaskSucceeded {
		t.Fatalf("run %s %q; tasks %+v", run.State, run.Error, ts)
	}
}

// A run cancelled while its tasks wait for a pool slot another run holds
// still tears down, without waiting for the slot, and ends.
func TestTeardownTakesNoPoolSlot(t *testing.T) {
	t.Parallel()
	h, _ := poolHarness(t, 1)
	holder := pooled("holder", 1, gatedTask)
	hold := h.goRun(context.Background(), holder, nil)
	waitFile(t, filepath.Join(h.dir, "started-holder-t1"))
	p := stagingTasks("sleep 60")
	p.Concurrency = spec.Concurrency{Parallelism: 4, Pool: "warehouse"}
	cancel := make(chan struct{})
	ch := make(chan runResult, 1)
	go func() {
		r, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: stagingEnvs, Cancel: cancel})
		ch <- runResult{r, err}
	}()
	id := h.waitTaskState("p", "build", record.TaskWaitingPool)
	close(cancel)
	res := waitResult(t, ch)
	if ts := h.tasks(id); res.run.State != record.RunCancelled || ts["teardown_staging"].State != record.TaskSucceeded {
		t.Fatalf("run %s; tasks %+v", res.run.State, ts)
	}
	_ = os.WriteFile(filepath.Join(h.dir, "go"), nil, 0o644)
	if r := waitResult(t, hold); r.run.State != record.RunSucceeded {
		t.Errorf("the holder: %s", r.run.State)
	}
}

// Gantry stopping while a cancelled run tears down suspends it: the
// teardown is not recorded cancelled, and the resumed run tears down,
// then ends cancelled, as it was.
func TestTeardownResumesAfterAShutdown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := stagingTasks("touch smoking; sleep 60")
	p.Tasks[3].Run = `touch tearing; [ -e resumed ] || sleep 60; echo done > teardown.txt`
	ctx, stop := context.WithCancel(context.Background())
	cancel := make(chan struct{})
	ch := make(chan runResult, 1)
	go func() {
		r, err := h.eng.Run(ctx, engine.Request{Pipeline: p, Dir: h.dir, Environments: stagingEnvs, Cancel: cancel})
		ch <- runResult{r, err}
	}()
	waitFile(t, filepath.Join(h.dir, "smoking"))
	close(cancel)
	waitFile(t, filepath.Join(h.dir, "tearing"))
	stop()
	res := waitResult(t, ch)
	if !errors.Is(res.err, engine.ErrSuspended) {
		t.Fatalf("run = %s %v, want suspended", res.run.State, res.err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "resumed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stored, _ := h.store.GetRun(context.Background(), res.run.ID)
	run, err := h.eng.Execute(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: stagingEnvs}, stored)
	if err != nil {
		t.Fatal(err)
	}
	ts := h.tasks(run.ID)
	if run.State != record.RunCancelled || run.Error != "cancelled" || ts["teardown_staging"].State != record.TaskSucceeded {
		t.Fatalf("resumed: run %s %q; tasks %+v", run.State, run.Error, ts)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "teardown.txt")); string(got) != "done\n" {
		t.Errorf("the resumed teardown did not finish: %q", got)
	}
}

// A teardown that fails leaves the run's result as it was: a dead letter
// to replay, not a failed release.
func TestFailedTeardownDoesNotFailTheRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := stagingTasks("true")
	p.Tasks[3].Run = "exit 4"
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: stagingEnvs})
	if err != nil {
		t.Fatal(err)
	}
	ts := h.tasks(run.ID)
	if run.State != record.RunSucceeded || ts["teardown_staging"].State != record.TaskFailed || ts["deploy_prod"].State != record.TaskSucceeded {
		t.Fatalf("run %s %q; tasks %+v", run.State, run.Error, ts)
	}
	dls, _ := h.store.ListDeadLetters(context.Background(), store.DeadLetterFilter{})
	if len(dls) != 1 || dls[0].Task != "teardown_staging" {
		t.Errorf("dead letters %+v, want the teardown's", dls)
	}
}
