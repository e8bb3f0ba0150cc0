package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// fakeKind is an executor of another kind than process: what a container
// or a Kubernetes job executor would be to the engine.
type fakeKind struct {
	RunFunc  func(context.Context, executor.Attempt) executor.Result
	ReapFunc func(context.Context, executor.Handle) (bool, error)
}

func (f fakeKind) Run(ctx context.Context, a executor.Attempt) executor.Result {
	return f.RunFunc(ctx, a)
}

func (f fakeKind) Reap(ctx context.Context, h executor.Handle) (bool, error) {
	return f.ReapFunc(ctx, h)
}

func TestTasksRunOnTheExecutorOfTheirKind(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []executor.Attempt
	fake := fakeKind{RunFunc: func(_ context.Context, a executor.Attempt) executor.Result {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
		now := time.Now()
		return executor.Result{Outcome: executor.Succeeded, StartedAt: now, FinishedAt: now,
			Outputs: []record.Output{{Key: "rows", Value: "3"}}}
	}}
	h := newHarness(t, func(c *engine.Config) { c.Executors["fake"] = fake })
	p := pipeline(
		spec.Task{ID: "local", Run: "echo local > local.txt"},
		spec.Task{ID: "remote", Kind: "fake", Needs: []string{"local"}, Run: "load {{ .Task }}"},
	)
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	if b, err := os.ReadFile(filepath.Join(h.dir, "local.txt")); err != nil || string(b) != "local\n" {
		t.Errorf("the process task wrote %q, %v", b, err)
	}
	if len(got) != 1 || got[0].Kind != "fake" || !strings.HasPrefix(got[0].Command, "load ") {
		t.Fatalf("fake kind ran %+v, want the one task of kind fake", got)
	}
	if as := h.attempts(run.ID, "remote"); len(as) != 1 || len(as[0].Outputs) != 1 || as[0].Outputs[0].Value != "3" {
		t.Errorf("remote attempts %+v, want one with the fake's outputs", as)
	}
}

func TestATaskOfAKindWithoutExecutorFailsSayingSo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(
		spec.Task{ID: "job", Kind: "kubernetes", Run: "true"},
		spec.Task{ID: "after", Needs: []string{"job"}, Run: "true"},
	)
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunFailed {
		t.Fatalf("run %s, want failed", run.State)
	}
	want := `no executor for tasks of kind "kubernetes" here (this Gantry runs: process)`
	if as := h.attempts(run.ID, "job"); len(as) != 1 || as[0].State != record.TaskFailed || as[0].Error != want {
		t.Fatalf("attempts of job: %+v, want one failed with %q", as, want)
	}
	if !strings.Contains(run.Error, want) {
		t.Errorf("run error %q, want it to say %q", run.Error, want)
	}
	if st := h.tasks(run.ID)["after"].State; st != record.TaskUpstreamFailed {
		t.Errorf("after is %s, want upstream_failed", st)
	}
}

func TestRecoveryAsksTheExecutorOfTheAttemptsKind(t *testing.T) {
	t.Parallel()
	var reaped []executor.Handle
	fake := fakeKind{
		RunFunc: func(context.Context, executor.Attempt) executor.Result {
			now := time.Now()
			return executor.Result{Outcome: executor.Succeeded, StartedAt: now, FinishedAt: now}
		},
		ReapFunc: func(_ context.Context, h executor.Handle) (bool, error) {
			reaped = append(reaped, h)
			return true, nil
		},
	}
	h := newHarness(t, func(c *engine.Config) { c.Executors["fake"] = fake })
	ctx := context.Background()
	p := pipeline(spec.Task{ID: "a", Kind: "fake", Run: "x", Retries: &spec.Retries{Attempts: 2}})
	run := &record.Run{Pipeline: "p", State: record.RunRunning, Trigger: record.TriggerManual,
		CreatedAt: time.Now(), StartedAt: time.Now()}
	if err := h.store.CreateRun(ctx, run, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	att := &record.TaskAttempt{RunID: run.ID, Task: "a", Attempt: 1, State: record.TaskRunning, StartedAt: time.Now(),
		ExitCode: -1, PID: 4711, LogPath: filepath.Join(h.dir, "logs", "a.1.log")}
	if err := h.store.Apply(ctx, &store.Batch{Insert: []*record.TaskAttempt{att},
		Tasks: []record.RunTask{{RunID: run.ID, Task: "a", State: record.TaskRunning, Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	got, err := h.eng.Execute(ctx, engine.Request{Pipeline: p, Dir: h.dir}, *run)
	if err != nil || got.State != record.RunSucceeded {
		t.Fatalf("recovered run: %s %q, err %v", got.State, got.Error, err)
	}
	if len(reaped) != 1 || reaped[0].PID != 4711 || len(reaped[0].Marks) != 2 ||
		reaped[0].Marks[0] != "GANTRY_ATTEMPT_ID="+strconv.FormatInt(att.ID, 10) ||
		reaped[0].Marks[1] != "GANTRY_OUTPUT="+filepath.Join(h.dir, "logs", "a.1.out") {
		t.Fatalf("fake kind reaped %+v, want attempt %d's handle once", reaped, att.ID)
	}
	as := h.attempts(run.ID, "a")
	if len(as) != 2 || as[0].State != record.TaskLost || !strings.Contains(as[0].Error, "what was left of it was killed") {
		t.Fatalf("attempts: %+v, want the first lost and killed on restart", as)
	}
}

func TestReapAttemptAsksTheTasksKindOrEveryKindWhenTheTaskIsUnknown(t *testing.T) {
	t.Parallel()
	var asked []string
	reaper := func(kind string, found bool) fakeKind {
		return fakeKind{ReapFunc: func(context.Context, executor.Handle) (bool, error) {
			asked = append(asked, kind)
			return found, nil
		}}
	}
	set := executor.Set{"a": reaper("a", false), "b": reaper("b", true)}
	att := record.TaskAttempt{ID: 7, Task: "t", LogPath: "/logs/t.1.log"}
	for _, tt := range []struct {
		name  string
		p     *spec.Pipeline
		asked []string
		found bool
	}{
		{"its kind", pipeline(spec.Task{ID: "t", Kind: "a"}), []string{"a"}, false},
		{"no pipeline", nil, []string{"a", "b"}, true},
		{"task gone", pipeline(spec.Task{ID: "other", Kind: "a"}), []string{"a", "b"}, true},
	} {
		asked = nil
		found, err := engine.ReapAttempt(context.Background(), set, tt.p, att)
		if err != nil || found != tt.found || !slices.Equal(asked, tt.asked) {
			t.Errorf("%s: found %v, err %v, asked %v; want found %v, asked %v", tt.name, found, err, asked, tt.found, tt.asked)
		}
	}
	_, err := engine.ReapAttempt(context.Background(), set, pipeline(spec.Task{ID: "t", Kind: "k8s"}), att)
	if err == nil || !strings.Contains(err.Error(), `no executor for tasks of kind "k8s" here (this Gantry runs: a, b)`) {
		t.Errorf("reap of a kind without executor: %v", err)
	}
}
