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
	"github.com/gantryhq/gantry/internal/engine/pool"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// countingTask counts itself in while it runs, under flock, and appends
// how many ran at that moment to "seen": the processes themselves say
// how many were in flight together.
const countingTask = `flock lock sh -c 'n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; echo $n >> seen'
sleep 0.3
flock lock sh -c 'echo $(( $(cat count) - 1 )) > count'`

// gatedTask waits for the file "go" (30s at most), then appends its pipeline and task
// to "order": with one slot, the order in which slots were granted.
const gatedTask = `echo x > "started-$GANTRY_PIPELINE-$GANTRY_TASK"
i=0; while [ ! -e go ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done
echo "$GANTRY_PIPELINE-$GANTRY_TASK" >> order`

func poolHarness(t *testing.T, slots int) (*harness, *pool.Limiter) {
	t.Helper()
	lim := pool.New(map[string]int{"warehouse": slots})
	h := newHarness(t, func(c *engine.Config) { c.Pools = lim })
	// Gated tasks of a failed test end too.
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(h.dir, "go"), nil, 0o644) })
	return h, lim
}

func pooled(name string, n int, run string) *spec.Pipeline {
	p := &spec.Pipeline{Name: name, Concurrency: spec.Concurrency{Parallelism: 4, Pool: "warehouse"}}
	for i := range n {
		p.Tasks = append(p.Tasks, spec.Task{ID: "t" + strconv.Itoa(i+1), Run: run})
	}
	return p
}

type runResult struct {
	run record.Run
	err error
}

// goRun starts a run of p in the background.
func (h *harness) goRun(ctx context.Context, p *spec.Pipeline, cancel <-chan struct{}) <-chan runResult {
	ch := make(chan runResult, 1)
	go func() {
		run, err := h.eng.Run(ctx, engine.Request{Pipeline: p, Dir: h.dir, Cancel: cancel})
		ch <- runResult{run, err}
	}()
	return ch
}

func waitResult(t *testing.T, ch <-chan runResult) runResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("run did not end within 30s")
		return runResult{}
	}
}

// waitTaskState polls the store until some run of pipeline has task in
// state, and returns that run's id.
func (h *harness) waitTaskState(pipeline, task string, state record.TaskState) int64 {
	h.t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		h.mu.Lock()
		var ids []int64
		for _, ev := range h.evs {
			if ev.Task == "" && ev.State == string(record.RunRunning) {
				ids = append(ids, ev.RunID)
			}
		}
		h.mu.Unlock()
		for _, id := range ids {
			run, err := h.store.GetRun(ctx, id)
			if err != nil || run.Pipeline != pipeline {
				continue
			}
			if h.tasks(id)[task].State == state {
				return id
			}
		}
	}
	h.t.Fatalf("task %s of %s never reached %s", task, pipeline, state)
	return 0
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}

func assertPoolEmpty(t *testing.T, lim *pool.Limiter) {
	t.Helper()
	for _, u := range lim.Usage() {
		if u.InUse != 0 || u.Waiting != 0 {
			t.Errorf("pool %s: %d in use, %d waiting after every run ended; want none", u.Pool, u.InUse, u.Waiting)
		}
	}
}

func TestPoolCapsTasksAcrossRuns(t *testing.T) {
	t.Parallel()
	h, lim := poolHarness(t, 2)
	ctx := context.Background()
	a := h.goRun(ctx, pooled("a", 3, countingTask), nil)
	b := h.goRun(ctx, pooled("b", 3, countingTask), nil)
	for _, ch := range []<-chan runResult{a, b} {
		if r := waitResult(t, ch); r.err != nil || r.run.State != record.RunSucceeded {
			t.Fatalf("run %s: %s %q, err %v", r.run.Pipeline, r.run.State, r.run.Error, r.err)
		}
	}
	seen, err := os.ReadFile(filepath.Join(h.dir, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	counts := strings.Fields(string(seen))
	if len(counts) != 6 {
		t.Fatalf("%d task starts recorded, want 6: %q", len(counts), seen)
	}
	peak := 0
	for _, c := range counts {
		n, _ := strconv.Atoi(c)
		peak = max(peak, n)
	}
	if peak > 2 {
		t.Errorf("%d tasks of pool warehouse (2 slots) ran at once across two runs; in flight at each start: %v", peak, counts)
	}
	h.mu.Lock()
	waited := 0
	for _, ev := range h.evs {
		if ev.State == string(record.TaskWaitingPool) {
			waited++
			if ev.Detail != "for a slot of pool warehouse" {
				t.Errorf("waiting event detail %q", ev.Detail)
			}
		}
	}
	h.mu.Unlock()
	if waited == 0 {
		t.Error("no task was reported waiting_pool, yet 6 tasks shared 2 slots")
	}
	assertPoolEmpty(t, lim)
}

func TestPoolSlotsGoInTurnAcrossRuns(t *testing.T) {
	t.Parallel()
	h, lim := poolHarness(t, 1)
	ctx := context.Background()
	a := h.goRun(ctx, pooled("a", 3, gatedTask), nil)
	h.waitTaskState("a", "t2", record.TaskWaitingPool) // t1 runs, t2 is in line
	b := h.goRun(ctx, pooled("b", 1, gatedTask), nil)
	h.waitTaskState("b", "t1", record.TaskWaitingPool) // behind a's t2
	if err := os.WriteFile(filepath.Join(h.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan runResult{a, b} {
		if r := waitResult(t, ch); r.err != nil || r.run.State != record.RunSucceeded {
			t.Fatalf("run %s: %s %q, err %v", r.run.Pipeline, r.run.State, r.run.Error, r.err)
		}
	}
	order, err := os.ReadFile(filepath.Join(h.dir, "order"))
	if err != nil {
		t.Fatal(err)
	}
	// b asked before a's third task did: it is not made to wait for all of a.
	if got, want := strings.Fields(string(order)), "a-t1 a-t2 b-t1 a-t3"; strings.Join(got, " ") != want {
		t.Errorf("tasks ran in the order %v, want %s", got, want)
	}
	assertPoolEmpty(t, lim)
}

func TestPoolTimeoutCountsFromTheSlot(t *testing.T) {
	t.Parallel()
	h, lim := poolHarness(t, 1)
	ctx := context.Background()
	hold := h.goRun(ctx, pooled("hold", 1, gatedTask), nil)
	waitFile(t, filepath.Join(h.dir, "started-hold-t1"))
	timeout := 300 * time.Millisecond
	quick := pooled("quick", 1, "true")
	quick.Tasks[0].Timeout = timeout
	q := h.goRun(ctx, quick, nil)
	id := h.waitTaskState("quick", "t1", record.TaskWaitingPool)
	// It waits longer than its timeout, and still waits rather than fail.
	for deadline := time.Now().Add(3 * timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s := h.tasks(id)["t1"].State; s != record.TaskWaitingPool {
			t.Fatalf("task in a full pool went %s, want waiting_pool", s)
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan runResult{hold, q} {
		if r := waitResult(t, ch); r.err != nil || r.run.State != record.RunSucceeded {
			t.Fatalf("run %s: %s %q, err %v", r.run.Pipeline, r.run.State, r.run.Error, r.err)
		}
	}
	as := h.attempts(id, "t1")
	if len(as) != 1 || as[0].StartedAt.Sub(as[0].QueuedAt) < 3*timeout {
		t.Errorf("attempts %+v: want one, started at least %s after it was queued", as, 3*timeout)
	}
	assertPoolEmpty(t, lim)
}

func TestPoolCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	h, lim := poolHarness(t, 1)
	ctx := context.Background()
	hold := h.goRun(ctx, pooled("hold", 1, gatedTask), nil)
	waitFile(t, filepath.Join(h.dir, "started-hold-t1"))
	cancel := make(chan struct{})
	w := h.goRun(ctx, pooled("waiter", 2, "touch waiter-ran"), cancel)
	id := h.waitTaskState("waiter", "t1", record.TaskWaitingPool)
	close(cancel)
	r := waitResult(t, w) // the holder still holds the slot
	if r.err != nil || r.run.State != record.RunCancelled {
		t.Fatalf("cancelled waiting run: %s %q, err %v", r.run.State, r.run.Error, r.err)
	}
	for task, rt := range h.tasks(id) {
		if rt.State != record.TaskCancelled || len(h.attempts(id, task)) != 0 {
			t.Errorf("task %s: %s with %d attempts, want cancelled, never started", task, rt.State, len(h.attempts(id, task)))
		}
	}
	if u := lim.Usage()[0]; u.InUse != 1 || u.Waiting != 0 {
		t.Errorf("after the cancel: %+v, want the holder's slot only, nobody in line", u)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, hold); r.run.State != record.RunSucceeded {
		t.Fatalf("holder: %s %q", r.run.State, r.run.Error)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "waiter-ran")); err == nil {
		t.Error("a task of the cancelled run started")
	}
	assertPoolEmpty(t, lim)
}

func TestPoolSuspendedRunGivesBackItsSlots(t *testing.T) {
	t.Parallel()
	h, lim := poolHarness(t, 2)
	p := pooled("a", 2, `echo $$ > "$GANTRY_TASK.pid"; [ "$GANTRY_ATTEMPT" -gt 1 ] || sleep 60`)
	for i := range p.Tasks {
		p.Tasks[i].Retries = &spec.Retries{Attempts: 2}
	}
	ctx, stop := context.WithCancel(context.Background())
	a := h.goRun(ctx, p, nil)
	waitFile(t, filepath.Join(h.dir, "t1.pid"))
	waitFile(t, filepath.Join(h.dir, "t2.pid"))
	if u := lim.Usage()[0]; u.InUse != 2 {
		t.Fatalf("two tasks run: %+v, want 2 slots in use", u)
	}
	stop() // a server shutting down
	r := waitResult(t, a)
	if !errors.Is(r.err, engine.ErrSuspended) {
		t.Fatalf("Run = %v, want ErrSuspended", r.err)
	}
	assertPoolEmpty(t, lim)

	stored, err := h.store.GetRun(context.Background(), r.run.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.eng.Execute(context.Background(), engine.Request{Pipeline: p, Dir: h.dir}, stored)
	if err != nil || got.State != record.RunSucceeded {
		t.Fatalf("resumed run: %s %q, err %v", got.State, got.Error, err)
	}
	assertPoolEmpty(t, lim)
}
