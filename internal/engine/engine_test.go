package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// fakeClock fires every back-off at once and remembers what was asked.
type fakeClock struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (c *fakeClock) Now() time.Time { return time.Now() }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.delays = append(c.delays, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

func (c *fakeClock) asked() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.delays...)
}

type harness struct {
	t     *testing.T
	dir   string
	store store.Store
	clock *fakeClock
	eng   *engine.Engine
	mu    sync.Mutex
	evs   []engine.Event
}

func newHarness(t *testing.T, mod func(*engine.Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := storesqlite.Open(context.Background(), filepath.Join(dir, "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	exe, err := process.New(process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exe.Close() })
	h := &harness{t: t, dir: dir, store: st, clock: &fakeClock{}}
	cfg := engine.Config{
		Store: st, Executors: executor.Set{process.Kind: exe}, Clock: h.clock, LogDir: filepath.Join(dir, "logs"),
		Rand:      func() float64 { return 0.5 },
		KillGrace: 200 * time.Millisecond,
		Observe: func(ev engine.Event) {
			h.mu.Lock()
			h.evs = append(h.evs, ev)
			h.mu.Unlock()
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	h.eng = engine.New(cfg)
	return h
}

func (h *harness) run(ctx context.Context, p *spec.Pipeline, params map[string]string) record.Run {
	h.t.Helper()
	run, err := h.eng.Run(ctx, engine.Request{Pipeline: p, Params: params, Dir: h.dir,
		Start: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return run
}

func (h *harness) tasks(runID int64) map[string]record.RunTask {
	h.t.Helper()
	ts, err := h.store.ListRunTasks(context.Background(), runID)
	if err != nil {
		h.t.Fatal(err)
	}
	m := make(map[string]record.RunTask, len(ts))
	for _, t := range ts {
		m[t.Task] = t
	}
	return m
}

func (h *harness) attempts(runID int64, task string) []record.TaskAttempt {
	h.t.Helper()
	as, err := h.store.ListAttempts(context.Background(), runID, task)
	if err != nil {
		h.t.Fatal(err)
	}
	return as
}

func pipeline(tasks ...spec.Task) *spec.Pipeline {
	return &spec.Pipeline{Name: "p", Tasks: tasks}
}

func TestChainRunsInOrderAndRecordsOutputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(
		spec.Task{ID: "extract", Run: `echo extract >> order.txt; echo rows=1042 > "$GANTRY_OUTPUT"`},
		spec.Task{ID: "transform", Needs: []string{"extract"}, Run: `echo transform >> order.txt`},
		spec.Task{ID: "load", Needs: []string{"transform"}, Run: `echo load >> order.txt; printf 'rows=7\nnot a pair\n' > "$GANTRY_OUTPUT"`},
	)
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run state %s (%s), want succeeded", run.State, run.Error)
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "order.txt"))
	if string(got) != "extract\ntransform\nload\n" {
		t.Errorf("tasks ran in order %q", got)
	}
	ex := h.attempts(run.ID, "extract")
	if len(ex) != 1 || len(ex[0].Outputs) != 1 || ex[0].Outputs[0] != (record.Output{Key: "rows", Value: "1042"}) {
		t.Errorf("extract outputs = %+v, want rows=1042", ex)
	}
	if ex[0].ExitCode != 0 || ex[0].PID == 0 || ex[0].FinishedAt.Before(ex[0].StartedAt) {
		t.Errorf("extract attempt record incomplete: %+v", ex[0])
	}
	warned := false
	for _, ev := range h.evs {
		if ev.Warning && ev.Task == "load" && strings.Contains(ev.Detail, "not a pair") {
			warned = true
		}
	}
	if !warned {
		t.Error("malformed output line was not reported")
	}
	stored, err := h.store.GetRun(context.Background(), run.ID)
	if err != nil || stored.State != record.RunSucceeded || stored.FinishedAt.IsZero() {
		t.Errorf("stored run = %+v, %v", stored, err)
	}
}

func TestRetriesWithBackoffThenSucceeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(spec.Task{
		ID: "flaky",
		// Fails on attempts 1 and 2, succeeds on 3.
		Run:     `echo "$GANTRY_ATTEMPT" >> attempts.txt; [ "$GANTRY_ATTEMPT" -ge 3 ] || exit 3`,
		Retries: &spec.Retries{Attempts: 4, Backoff: "exponential", Initial: 2 * time.Second},
	})
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	if got, want := h.clock.asked(), []time.Duration{2 * time.Second, 4 * time.Second}; !equalDurations(got, want) {
		t.Errorf("back-off waits %v, want %v", got, want)
	}
	as := h.attempts(run.ID, "flaky")
	if len(as) != 3 {
		t.Fatalf("%d attempts recorded, want 3", len(as))
	}
	for i, want := range []record.TaskState{record.TaskFailed, record.TaskFailed, record.TaskSucceeded} {
		if as[i].State != want || as[i].Attempt != i+1 {
			t.Errorf("attempt %d: state %s attempt %d, want %s", i+1, as[i].State, as[i].Attempt, want)
		}
	}
	if as[0].ExitCode != 3 || as[0].Error == "" {
		t.Errorf("failed attempt exit %d error %q, want 3 and a reason", as[0].ExitCode, as[0].Error)
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "attempts.txt"))
	if string(got) != "1\n2\n3\n" {
		t.Errorf("GANTRY_ATTEMPT seen by the task: %q", got)
	}
	if dl, _ := h.store.ListDeadLetters(context.Background(), store.DeadLetterFilter{}); len(dl) != 0 {
		t.Errorf("dead letters %+v after an eventual success", dl)
	}
}

func TestExhaustedRetriesFailDownstreamAndDeadLetter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(
		spec.Task{ID: "a", Run: "exit 3", Retries: &spec.Retries{Attempts: 2, Backoff: "constant", Initial: time.Second}},
		spec.Task{ID: "b", Needs: []string{"a"}, Run: "touch b-ran"},
		spec.Task{ID: "c", Needs: []string{"b"}, Run: "touch c-ran"},
		spec.Task{ID: "side", Run: "touch side-ran"},
	)
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunFailed || !strings.Contains(run.Error, "a") {
		t.Fatalf("run %s %q, want failed naming task a", run.State, run.Error)
	}
	ts := h.tasks(run.ID)
	want := map[string]record.TaskState{"a": record.TaskFailed, "b": record.TaskUpstreamFailed,
		"c": record.TaskUpstreamFailed, "side": record.TaskSucceeded}
	for id, s := range want {
		if ts[id].State != s {
			t.Errorf("task %s state %s, want %s", id, ts[id].State, s)
		}
	}
	for _, f := range []string{"b-ran", "c-ran"} {
		if _, err := os.Stat(filepath.Join(h.dir, f)); err == nil {
			t.Errorf("%s exists: a downstream of a failed task started", f)
		}
	}
	if _, err := os.Stat(filepath.Join(h.dir, "side-ran")); err != nil {
		t.Error("the independent branch did not run")
	}
	if n := len(h.attempts(run.ID, "a")); n != 2 {
		t.Errorf("task a had %d attempts, want 2", n)
	}
	dl, err := h.store.ListDeadLetters(context.Background(), store.DeadLetterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || dl[0].Task != "a" || dl[0].RunID != run.ID || dl[0].Attempts != 2 || !strings.Contains(dl[0].Error, "exit status 3") {
		t.Errorf("dead letters = %+v, want one for task a with its last error", dl)
	}
}

func TestParallelismIsNeverExceeded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline()
	p.Concurrency.Parallelism = 2
	for _, id := range []string{"t1", "t2", "t3", "t4", "t5", "t6"} {
		p.Tasks = append(p.Tasks, spec.Task{ID: id, Run: "sleep 0.05"})
	}
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s", run.State)
	}
	inFlight, peak := 0, 0
	for _, ev := range h.evs {
		if ev.Task == "" || ev.Warning {
			continue
		}
		switch record.TaskState(ev.State) {
		case record.TaskRunning:
			inFlight++
			peak = max(peak, inFlight)
		case record.TaskSucceeded:
			inFlight--
		}
	}
	if peak > 2 {
		t.Errorf("%d tasks ran at once, parallelism is 2", peak)
	}
}

func TestStateIsPersistedBeforeItIsActedOn(t *testing.T) {
	t.Parallel()
	var h *harness
	var mismatch []string
	h = newHarness(t, func(c *engine.Config) {
		c.Observe = func(ev engine.Event) {
			if ev.Task == "" || ev.State != string(record.TaskRunning) || ev.Warning {
				return
			}
			// By the time anyone hears a task is running, its attempt is in the store.
			as, err := h.store.ListAttempts(context.Background(), ev.RunID, ev.Task)
			if err != nil || len(as) != ev.Attempt || as[len(as)-1].State != record.TaskRunning {
				mismatch = append(mismatch, ev.Task)
			}
		}
	})
	p := pipeline(spec.Task{ID: "a", Run: "true"}, spec.Task{ID: "b", Needs: []string{"a"}, Run: "true"})
	h.run(context.Background(), p, nil)
	if len(mismatch) > 0 {
		t.Errorf("tasks announced running before their attempt was stored: %v", mismatch)
	}
}

func TestCancelKillsTasksAndRecordsCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHarness(t, nil)
	go func() {
		// Cancel once the task has started its child, as a user's Ctrl-C would.
		waitForFile(filepath.Join(h.dir, "child.pid"))
		cancel()
	}()
	p := pipeline(
		spec.Task{ID: "slow", Run: "sleep 1000 & echo $! > child.pid; wait"},
		spec.Task{ID: "after", Needs: []string{"slow"}, Run: "touch after-ran"},
	)
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Cancel: ctx.Done()})
	if err != nil {
		t.Fatal(err)
	}
	if run.State != record.RunCancelled {
		t.Fatalf("run %s, want cancelled", run.State)
	}
	ts := h.tasks(run.ID)
	if ts["slow"].State != record.TaskCancelled || ts["after"].State != record.TaskCancelled {
		t.Errorf("task states %+v, want both cancelled", ts)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "after-ran")); err == nil {
		t.Error("a task started after the run was cancelled")
	}
	assertGone(t, filepath.Join(h.dir, "child.pid"))
}

func TestRunTimeoutStopsEverythingWithoutRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(spec.Task{ID: "hang", Run: "sleep 1000 & echo $! > child.pid; wait",
		Retries: &spec.Retries{Attempts: 3}})
	p.Timeout = 300 * time.Millisecond
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunFailed || !strings.Contains(run.Error, "timed out") {
		t.Fatalf("run %s %q, want failed: timed out", run.State, run.Error)
	}
	if as := h.attempts(run.ID, "hang"); len(as) != 1 || as[0].State != record.TaskTimedOut {
		t.Errorf("attempts %+v, want one timed_out", as)
	}
	assertGone(t, filepath.Join(h.dir, "child.pid"))
}

func TestBadRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) {
		c.Secrets = func(name string) (string, error) { return "", errors.New("not set") }
	})
	withParam := pipeline(spec.Task{ID: "a", Run: "true"})
	withParam.Params = []spec.Param{{Name: "target"}}
	withSecret := pipeline(spec.Task{ID: "a", Run: "true", Env: []spec.EnvVar{{Name: "PW", Secret: "db_password"}}})
	cases := []struct {
		name   string
		p      *spec.Pipeline
		params map[string]string
		want   string
	}{
		{"unknown param", withParam, map[string]string{"target": "x", "tagret": "y"}, `unknown param "tagret"`},
		{"missing required param", withParam, nil, `"target" required`},
		{"missing secret", withSecret, nil, "db_password"},
	}
	for _, c := range cases {
		_, err := h.eng.Run(context.Background(), engine.Request{Pipeline: c.p, Params: c.params, Dir: h.dir})
		if !errors.Is(err, engine.ErrRequest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrRequest mentioning %q", c.name, err, c.want)
		}
	}
	if runs, _ := h.store.ListRuns(context.Background(), store.RunFilter{}); len(runs) != 0 {
		t.Errorf("refused requests created %d runs", len(runs))
	}
}

func TestSecretsReachTaskButNotLogsOrStore(t *testing.T) {
	t.Parallel()
	const canary = "s3cr3t-canary-value-91f2"
	h := newHarness(t, func(c *engine.Config) {
		c.Secrets = func(name string) (string, error) { return canary, nil }
	})
	p := pipeline(spec.Task{ID: "use", Env: []spec.EnvVar{{Name: "PW", Secret: "pw"}},
		Run: `[ "$PW" = "` + canary + `" ] && echo "password is $PW"`})
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s (the task did not see its secret)", run.State, run.Error)
	}
	as := h.attempts(run.ID, "use")
	log, err := os.ReadFile(as[0].LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(log, []byte(canary)) || !bytes.Contains(log, []byte("password is <redacted>")) {
		t.Errorf("log = %q, want the secret redacted", log)
	}
	h.store.Close()
	for _, f := range []string{"gantry.db", "gantry.db-wal"} {
		if b, err := os.ReadFile(filepath.Join(h.dir, f)); err == nil && bytes.Contains(b, []byte(canary)) {
			t.Errorf("the secret is in %s", f)
		}
	}
}

func TestParamsCannotInjectShell(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(spec.Task{ID: "a", Run: `echo {{ .Params.name }} > said.txt`})
	p.Params = []spec.Param{{Name: "name", Default: "x", HasDefault: true}}
	evil := `x'; touch pwned; echo '`
	run := h.run(context.Background(), p, map[string]string{"name": evil})
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "pwned")); err == nil {
		t.Fatal("a parameter value ran as a shell command")
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "said.txt"))
	if strings.TrimSpace(string(got)) != evil {
		t.Errorf("task saw %q, want the parameter verbatim %q", got, evil)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIntervalIsHandedOverInThePipelinesZone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline(spec.Task{ID: "a", Run: `echo "$GANTRY_INTERVAL_START {{ .Interval.End }}" > interval.txt`})
	p.Schedule = &spec.Schedule{Cron: "0 2 * * *", Timezone: "Europe/Berlin", Location: berlin}
	// As a server hands it over: read back from the store, in UTC.
	start := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin).UTC()
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Start: start, End: start.Add(24 * time.Hour)})
	if err != nil || run.State != record.RunSucceeded {
		t.Fatalf("run %v %v", run.State, err)
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "interval.txt"))
	if want := "2026-11-10T00:00:00+01:00 2026-11-11T00:00:00+01:00\n"; string(got) != want {
		t.Errorf("task saw %q, want %q", got, want)
	}
}
