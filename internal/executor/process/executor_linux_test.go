package process

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
)

func newExecutor(t testing.TB, opts Options) *Executor {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close executor: %v", err)
		}
	})
	return e
}

// attempt returns an Attempt whose log and output files live in a fresh
// temporary directory.
func attempt(t testing.TB, command string) executor.Attempt {
	dir := t.TempDir()
	return executor.Attempt{
		Command:    command,
		Dir:        dir,
		LogPath:    filepath.Join(dir, "logs", "task.log"),
		OutputPath: filepath.Join(dir, "out", "task.out"),
		KillGrace:  2 * time.Second,
	}
}

func readLog(t *testing.T, a executor.Attempt) string {
	t.Helper()
	data, err := os.ReadFile(a.LogPath)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return string(data)
}

// readPID reads a pid a task wrote to file.
func readPID(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	return pid
}

// assertGone waits, boundedly, for pid to be dead. A zombie counts as dead:
// it is killed, and reaping it is its new parent's business.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	waitFor(t, func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH || procState(pid) == 'Z' })
}

// waitFor polls cond until it holds, failing the test after five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func procState(pid int) byte {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return 0
	}
	return data[i+2]
}

func wantOutcome(t *testing.T, res executor.Result, o executor.Outcome) {
	t.Helper()
	if res.Outcome != o {
		t.Fatalf("outcome = %q, want %q (result %+v)", res.Outcome, o, res)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	ctx := context.Background()

	t.Run("success with outputs and a malformed line", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `echo hello; printf '# figures\n\nrows = 12\nbytes=3.5e6\nrows 12\n9x=1\n' >> "$GANTRY_OUTPUT"`)
		var startedPID int
		a.Started = func(pid int, at time.Time) { startedPID = pid }
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Succeeded)
		if res.ExitCode != 0 || res.Error != "" || res.Signal != "" {
			t.Errorf("exit %d, error %q, signal %q", res.ExitCode, res.Error, res.Signal)
		}
		want := []record.Output{{Key: "rows", Value: "12"}, {Key: "bytes", Value: "3.5e6"}}
		if !slicesEqual(res.Outputs, want) {
			t.Errorf("outputs = %v, want %v", res.Outputs, want)
		}
		wantErrs := []string{
			`line 5: "rows 12": want key=value`,
			`line 6: "9x=1": key must match [A-Za-z_][A-Za-z0-9_.-]*`,
		}
		if strings.Join(res.OutputErrors, "|") != strings.Join(wantErrs, "|") {
			t.Errorf("output errors = %q, want %q", res.OutputErrors, wantErrs)
		}
		// Read into the result, the file itself is removed: it may hold
		// what a task should not have written.
		if _, err := os.Stat(a.OutputPath); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("output file after the attempt: %v, want it gone", err)
		}
		if got := readLog(t, a); got != "hello\n" {
			t.Errorf("log = %q", got)
		}
		if res.PID == 0 || startedPID != res.PID {
			t.Errorf("Started pid %d, result pid %d", startedPID, res.PID)
		}
		if res.StartedAt.IsZero() || res.FinishedAt.Before(res.StartedAt) {
			t.Errorf("times %v .. %v", res.StartedAt, res.FinishedAt)
		}
	})

	t.Run("a stale output file is gone before the task starts", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `test ! -e "$GANTRY_OUTPUT"`)
		if err := os.MkdirAll(filepath.Dir(a.OutputPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(a.OutputPath, []byte("stale=1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Succeeded)
		if len(res.Outputs) != 0 {
			t.Errorf("outputs = %v, want none", res.Outputs)
		}
	})

	t.Run("log is appended", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `echo out; echo err >&2`)
		e.Run(ctx, a)
		e.Run(ctx, a)
		if got := readLog(t, a); got != "out\nerr\nout\nerr\n" {
			t.Errorf("log = %q", got)
		}
		if fi, err := os.Stat(a.LogPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("log mode: %v %v", fi.Mode(), err)
		}
	})

	t.Run("non-zero exit", func(t *testing.T) {
		t.Parallel()
		res := e.Run(ctx, attempt(t, "exit 3"))
		wantOutcome(t, res, executor.Failed)
		if res.ExitCode != 3 || res.Error != "exit status 3" {
			t.Errorf("exit %d, error %q", res.ExitCode, res.Error)
		}
	})

	t.Run("command not found", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, "no-such-command-gantry")
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Failed)
		if res.ExitCode != 127 {
			t.Errorf("exit %d, want 127", res.ExitCode)
		}
		if !strings.Contains(readLog(t, a), "not found") {
			t.Errorf("log = %q", readLog(t, a))
		}
	})

	t.Run("cannot start", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, "true")
		a.Dir = filepath.Join(a.Dir, "missing")
		called := false
		a.Started = func(int, time.Time) { called = true }
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Failed)
		if res.ExitCode != -1 || !strings.HasPrefix(res.Error, "start: ") || called {
			t.Errorf("exit %d, error %q, Started called %v", res.ExitCode, res.Error, called)
		}
	})

	t.Run("killed by a foreign signal", func(t *testing.T) {
		t.Parallel()
		res := e.Run(ctx, attempt(t, "kill -USR1 $$"))
		wantOutcome(t, res, executor.Failed)
		if res.ExitCode != -1 || res.Signal != "user defined signal 1" || res.Error != "signal: user defined signal 1" {
			t.Errorf("exit %d, signal %q, error %q", res.ExitCode, res.Signal, res.Error)
		}
	})

	t.Run("env vars visible", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `echo "$GANTRY_TEST_A $GANTRY_TEST_B" >> "$GANTRY_OUTPUT.seen"; echo "seen=$GANTRY_TEST_A" >> "$GANTRY_OUTPUT"`)
		a.Env = []string{"GANTRY_TEST_A=alpha", "GANTRY_TEST_B=beta"}
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Succeeded)
		if len(res.Outputs) != 1 || res.Outputs[0].Value != "alpha" {
			t.Errorf("outputs = %v", res.Outputs)
		}
		data, _ := os.ReadFile(a.OutputPath + ".seen")
		if string(data) != "alpha beta\n" {
			t.Errorf("task saw %q", data)
		}
	})

	t.Run("workdir honoured", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, "pwd")
		a.Dir = t.TempDir()
		wantOutcome(t, e.Run(ctx, a), executor.Succeeded)
		real, _ := filepath.EvalSymlinks(a.Dir)
		if got := strings.TrimSpace(readLog(t, a)); got != a.Dir && got != real {
			t.Errorf("pwd = %q, want %q", got, a.Dir)
		}
	})

	t.Run("redaction", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `echo "password is hunter2, token tok-42"; echo hunter2 >&2; printf 'tail hunter2'`)
		a.Redact = []string{"hunter2", "tok-42", ""}
		wantOutcome(t, e.Run(ctx, a), executor.Succeeded)
		got := readLog(t, a)
		want := "password is <redacted>, token <redacted>\n<redacted>\ntail <redacted>"
		if got != want {
			t.Errorf("log = %q, want %q", got, want)
		}
	})

	t.Run("follow prefixes every line", func(t *testing.T) {
		t.Parallel()
		var follow syncBuffer
		a := attempt(t, `echo one; echo two >&2; echo secret-x; printf three`)
		a.Follow, a.Prefix, a.Redact = &follow, "[load.1] ", []string{"secret-x"}
		wantOutcome(t, e.Run(ctx, a), executor.Succeeded)
		want := "[load.1] one\n[load.1] two\n[load.1] <redacted>\n[load.1] three\n"
		if got := follow.String(); got != want {
			t.Errorf("follow = %q, want %q", got, want)
		}
		if got := readLog(t, a); got != "one\ntwo\n<redacted>\nthree" {
			t.Errorf("log = %q", got)
		}
	})

	t.Run("follow shared by concurrent attempts keeps lines whole", func(t *testing.T) {
		t.Parallel()
		var follow syncBuffer
		var wg sync.WaitGroup
		for i := range 4 {
			a := attempt(t, `i=0; while [ $i -lt 200 ]; do echo "line $i of a long enough text"; i=$((i+1)); done`)
			a.Follow, a.Prefix = &follow, "["+strconv.Itoa(i)+"] "
			wg.Go(func() { e.Run(ctx, a) })
		}
		wg.Wait()
		lines := strings.Split(strings.TrimSuffix(follow.String(), "\n"), "\n")
		if len(lines) != 800 {
			t.Fatalf("%d lines, want 800", len(lines))
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "[") || !strings.HasSuffix(l, "of a long enough text") {
				t.Fatalf("torn line %q", l)
			}
		}
	})

	t.Run("peak memory and cpu time", func(t *testing.T) {
		t.Parallel()
		res := e.Run(ctx, attempt(t, `awk 'BEGIN { for (i = 0; i < 3000000; i++) s += i; print s }'; perl -e '$x = "a" x (120*1024*1024); print length $x'`))
		wantOutcome(t, res, executor.Succeeded)
		if res.PeakMemory < 120<<20 || res.CPUTime <= 0 {
			t.Errorf("peak %d bytes, cpu %v; want ≥ 120 MiB and some CPU", res.PeakMemory, res.CPUTime)
		}
	})

	t.Run("a small task's peak is not Gantry's own size", func(t *testing.T) {
		t.Parallel()
		res := e.Run(ctx, attempt(t, "true"))
		var self syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
			t.Fatal(err)
		}
		if res.PeakMemory >= self.Maxrss*1024 {
			t.Errorf("peak of `true` = %d bytes, Gantry's own high-water mark %d: the fork copy was counted", res.PeakMemory, self.Maxrss*1024)
		}
	})
}

// syncBuffer is a follower several attempts may share; the executor
// serialises writes, the mutex here only satisfies the race detector for
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slicesEqual(a, b []record.Output) bool {
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

func TestRunEndsTree(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})

	t.Run("timeout kills a grandchild", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `sleep 1000 & echo $! > pidfile; wait`)
		a.Timeout = 300 * time.Millisecond
		start := time.Now()
		res := e.Run(context.Background(), a)
		wantOutcome(t, res, executor.TimedOut)
		if res.Error != "timed out after 300ms" || res.ExitCode != -1 || res.Signal != "terminated" {
			t.Errorf("error %q, exit %d, signal %q", res.Error, res.ExitCode, res.Signal)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
	})

	t.Run("background child left after a normal exit is killed", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `sleep 1000 & echo $! > pidfile; echo done`)
		res := e.Run(context.Background(), a)
		wantOutcome(t, res, executor.Succeeded)
		assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
	})

	t.Run("background child holding the log pipe cannot hang Run", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `sleep 1000 & echo $! > pidfile; echo done`)
		a.Redact = []string{"nothing"}
		start := time.Now()
		wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
		if d := time.Since(start); d > waitDelay/2 {
			t.Errorf("took %v: the group was not killed before draining", d)
		}
		assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
		if got := readLog(t, a); got != "done\n" {
			t.Errorf("log = %q", got)
		}
	})

	t.Run("ctx cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		a := attempt(t, `sleep 1000 & echo $! > pidfile; wait`)
		a.Started = func(int, time.Time) { time.AfterFunc(200*time.Millisecond, cancel) }
		res := e.Run(ctx, a)
		wantOutcome(t, res, executor.Cancelled)
		if res.Error != "cancelled" {
			t.Errorf("error %q", res.Error)
		}
		assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
	})

	t.Run("ctx deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		res := e.Run(ctx, attempt(t, "sleep 1000"))
		wantOutcome(t, res, executor.TimedOut)
		if res.Error != "run timeout" {
			t.Errorf("error %q", res.Error)
		}
	})

	t.Run("ctx done before start", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		a := attempt(t, "touch ran")
		wantOutcome(t, e.Run(ctx, a), executor.Cancelled)
		if _, err := os.Stat(filepath.Join(a.Dir, "ran")); err == nil {
			t.Error("task ran")
		}
	})

	t.Run("SIGTERM ignored is SIGKILLed after the grace", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, `trap '' TERM; sleep 1000 & echo $! > pidfile; wait; wait; wait`)
		a.Timeout, a.KillGrace = 200*time.Millisecond, 400*time.Millisecond
		start := time.Now()
		res := e.Run(context.Background(), a)
		wantOutcome(t, res, executor.TimedOut)
		if d := time.Since(start); d < a.Timeout+a.KillGrace || d > 3*time.Second {
			t.Errorf("took %v, want a little over %v", d, a.Timeout+a.KillGrace)
		}
		if res.Signal != "killed" {
			t.Errorf("signal %q, want killed", res.Signal)
		}
		assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
	})
}
