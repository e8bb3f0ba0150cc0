package engine_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

func TestSuspendedRunResumesAndRetriesTheLostAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(
		spec.Task{ID: "a", Run: `echo $$ > a.pid; [ "$GANTRY_ATTEMPT" -gt 1 ] || sleep 1000`,
			Retries: &spec.Retries{Attempts: 3}},
		spec.Task{ID: "b", Needs: []string{"a"}, Run: "true"},
	)
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		waitForFile(filepath.Join(h.dir, "a.pid"))
		stop() // as a server shutting down would
	}()
	run, err := h.eng.Run(ctx, engine.Request{Pipeline: p, Dir: h.dir})
	if !errors.Is(err, engine.ErrSuspended) {
		t.Fatalf("Run = %v, want ErrSuspended", err)
	}
	assertGone(t, filepath.Join(h.dir, "a.pid"))
	stored, _ := h.store.GetRun(context.Background(), run.ID)
	if stored.State != record.RunRunning {
		t.Fatalf("suspended run stored as %s, want running (to resume)", stored.State)
	}

	run, err = h.eng.Execute(context.Background(), engine.Request{Pipeline: p, Dir: h.dir}, stored)
	if err != nil || run.State != record.RunSucceeded {
		t.Fatalf("resumed run: %s %q, err %v", run.State, run.Error, err)
	}
	as := h.attempts(run.ID, "a")
	if len(as) != 2 || as[0].State != record.TaskLost || as[1].State != record.TaskSucceeded {
		t.Fatalf("attempts of a: %+v, want lost then succeeded", states(as))
	}
	if n := len(h.attempts(run.ID, "b")); n != 1 {
		t.Errorf("b ran %d times, want once", n)
	}
}

func TestRecoveryKillsAnOrphanBeforeRetrying(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	p := pipeline(spec.Task{ID: "a", Run: `[ "$GANTRY_ATTEMPT" -gt 1 ]`, Retries: &spec.Retries{Attempts: 2}})

	// The store as a killed server left it: a run with an attempt recorded
	// running, whose process is still alive.
	run := &record.Run{Pipeline: "p", State: record.RunRunning, Trigger: record.TriggerManual,
		CreatedAt: time.Now(), StartedAt: time.Now()}
	if err := h.store.CreateRun(ctx, run, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	att := &record.TaskAttempt{RunID: run.ID, Task: "a", Attempt: 1, State: record.TaskRunning, StartedAt: time.Now(), ExitCode: -1,
		LogPath: filepath.Join(h.dir, "logs", "a.1.log")}
	if err := h.store.Apply(ctx, &store.Batch{Insert: []*record.TaskAttempt{att},
		Tasks: []record.RunTask{{RunID: run.ID, Task: "a", State: record.TaskRunning, Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	orphan := exec.Command("sh", "-c", "sleep 1000 & wait")
	orphan.Env = append(orphan.Environ(), "GANTRY_ATTEMPT_ID="+strconv.FormatInt(att.ID, 10),
		"GANTRY_OUTPUT="+filepath.Join(h.dir, "logs", "a.1.out"))
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = orphan.Wait(); close(exited) }()
	t.Cleanup(func() { _ = syscall.Kill(-orphan.Process.Pid, syscall.SIGKILL) })
	att.PID = orphan.Process.Pid
	if err := h.store.Apply(ctx, &store.Batch{Update: []*record.TaskAttempt{att}}); err != nil {
		t.Fatal(err)
	}

	got, err := h.eng.Execute(ctx, engine.Request{Pipeline: p, Dir: h.dir}, *run)
	if err != nil || got.State != record.RunSucceeded {
		t.Fatalf("recovered run: %s %q, err %v", got.State, got.Error, err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the orphaned attempt's process is still running")
	}
	as := h.attempts(run.ID, "a")
	if len(as) != 2 || as[0].State != record.TaskLost || as[1].State != record.TaskSucceeded {
		t.Fatalf("attempts: %v, want lost then succeeded", states(as))
	}
}

func states(as []record.TaskAttempt) []record.TaskState {
	out := make([]record.TaskState, len(as))
	for i, a := range as {
		out[i] = a.State
	}
	return out
}
