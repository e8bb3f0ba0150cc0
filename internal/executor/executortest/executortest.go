package executortest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// Run runs the suite against the executors newExec returns, one per case.
// Commands are POSIX shell, as a task's `run:` is.
func Run(t *testing.T, kind string, newExec func(t *testing.T) executor.Executor) {
	for _, c := range []struct {
		name string
		test func(*testing.T, executor.Executor, executor.Attempt)
	}{
		{"succeeds with its log and outputs", succeeds},
		{"fails with the exit code", failsWithExitCode},
		{"times out", timesOut},
		{"is cancelled", isCancelled},
		{"redacts secrets from log and outputs", redacts},
		{"reaps nothing of an unknown attempt", reapsNothingUnknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, newExec(t), attempt(t, kind))
		})
	}
}

// attempt is an Attempt whose log and output files live in a fresh
// temporary folder, marked as an attempt of its own.
func attempt(t *testing.T, kind string) executor.Attempt {
	dir := t.TempDir()
	return executor.Attempt{
		Kind:       kind,
		Dir:        dir,
		Env:        []string{"GANTRY_ATTEMPT_ID=" + strconv.FormatInt(time.Now().UnixNano(), 10)},
		LogPath:    filepath.Join(dir, "logs", "task.log"),
		OutputPath: filepath.Join(dir, "logs", "task.out"),
		KillGrace:  time.Second,
	}
}

func readLog(t *testing.T, a executor.Attempt) string {
	t.Helper()
	b, err := os.ReadFile(a.LogPath)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return string(b)
}

func succeeds(t *testing.T, x executor.Executor, a executor.Attempt) {
	a.Command = `echo hello; echo rows=3 > "$GANTRY_OUTPUT"`
	res := x.Run(context.Background(), a)
	if res.Outcome != executor.Succeeded || res.ExitCode != 0 || res.Error != "" {
		t.Fatalf("result %+v, want succeeded with exit 0", res)
	}
	if res.StartedAt.IsZero() || res.FinishedAt.Before(res.StartedAt) {
		t.Errorf("started %v, finished %v", res.StartedAt, res.FinishedAt)
	}
	if log := readLog(t, a); log != "hello\n" {
		t.Errorf("log %q, want %q", log, "hello\n")
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Key != "rows" || res.Outputs[0].Value != "3" {
		t.Errorf("outputs %+v, want rows=3", res.Outputs)
	}
}

func failsWithExitCode(t *testing.T, x executor.Executor, a executor.Attempt) {
	a.Command = "echo broken >&2; exit 3"
	res := x.Run(context.Background(), a)
	if res.Outcome != executor.Failed || res.ExitCode != 3 || res.Error == "" {
		t.Fatalf("result %+v, want failed with exit 3 and an error", res)
	}
	if log := readLog(t, a); log != "broken\n" {
		t.Errorf("log %q: standard error belongs in it", log)
	}
}

func timesOut(t *testing.T, x executor.Executor, a executor.Attempt) {
	a.Command, a.Timeout = "sleep 30", 200*time.Millisecond
	start := time.Now()
	res := x.Run(context.Background(), a)
	if res.Outcome != executor.TimedOut || !strings.Contains(res.Error, "timed out") {
		t.Fatalf("result %+v, want timed out", res)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v to end a 200ms timeout", d)
	}
}

func isCancelled(t *testing.T, x executor.Executor, a executor.Attempt) {
	a.Command = "sleep 30"
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res := x.Run(ctx, a)
	if res.Outcome != executor.Cancelled {
		t.Fatalf("result %+v, want cancelled", res)
	}
}

func redacts(t *testing.T, x executor.Executor, a executor.Attempt) {
	const secret = "hunter2-s3cr3t"
	a.Command = `echo "pw=$PW"; echo "token=$PW" > "$GANTRY_OUTPUT"`
	a.Env = append(a.Env, "PW="+secret)
	a.Redact = []string{secret}
	res := x.Run(context.Background(), a)
	if res.Outcome != executor.Succeeded {
		t.Fatalf("result %+v", res)
	}
	if log := readLog(t, a); strings.Contains(log, secret) || !strings.Contains(log, "pw=<redacted>") {
		t.Errorf("log %q, want the secret redacted", log)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Value != "<redacted>" {
		t.Errorf("outputs %+v, want the secret redacted", res.Outputs)
	}
}

func reapsNothingUnknown(t *testing.T, x executor.Executor, a executor.Attempt) {
	found, err := x.Reap(context.Background(), executor.Handle{Marks: append(a.Env, "GANTRY_OUTPUT="+a.OutputPath)})
	if found || err != nil {
		t.Errorf("Reap of an attempt never started = %v, %v; want nothing found", found, err)
	}
}
