package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// waitFor is how long eventually waits by default.
const waitFor = 20 * time.Second

// eventually polls cond every 10ms until it holds, and fails the test with
// what it was waiting for when timeout passes first.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gate is a shell loop that waits, at most 30s, for the file name to exist
// in the task's folder (the project folder), and fails if it never does.
func gate(name string) string {
	return fmt.Sprintf(`i=0; while [ ! -e %s ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i+1)); done; [ -e %s ]`, name, name)
}

// syncBuffer collects the server's log, printed when a test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a project folder, a SQLite store and an executor that servers
// are started on; several servers may be started one after the other on
// the same store, as after a restart.
type env struct {
	t      *testing.T
	ctx    context.Context
	dir    string // the project folder
	logDir string
	st     *storesqlite.Store
	exe    executor.Set
	log    *syncBuffer
	srv    *server.Server // the latest server started
}

// newEnv writes files (relative to the project folder; a name without a
// slash goes into pipelines/) and opens a fresh store.
func newEnv(t *testing.T, files map[string]string) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), dir: t.TempDir(), logDir: t.TempDir(), log: &syncBuffer{}}
	if err := os.MkdirAll(filepath.Join(e.dir, "pipelines"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		e.write(name, body)
	}
	st, err := storesqlite.Open(e.ctx, filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e.st = st
	t.Cleanup(func() { st.Close() }) // registered first: runs after every server stopped
	exe, err := process.New(process.Options{})
	if err != nil {
		t.Fatalf("executor: %v", err)
	}
	t.Cleanup(func() { _ = exe.Close() }) // after every server stopped
	e.exe = executor.Set{process.Kind: exe}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.log.String())
			e.dump()
		}
	})
	return e
}

// write writes a file of the project; see newEnv.
func (e *env) write(name, body string) {
	e.t.Helper()
	path := e.path(name)
	if !strings.Contains(name, "/") {
		path = filepath.Join(e.dir, "pipelines", name)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// path is name in the project folder.
func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

// touch creates an empty file in the project folder, e.g. to open a gate.
func (e *env) touch(name string) {
	e.t.Helper()
	if err := os.WriteFile(e.path(name), nil, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// start starts a new server on the env's store and project; it is stopped
// when the test ends.
func (e *env) start() *server.Server {
	e.t.Helper()
	srv := e.newServer()
	if err := srv.Start(e.ctx); err != nil {
		e.t.Fatalf("start server: %v", err)
	}
	e.t.Cleanup(srv.Stop)
	e.srv = srv
	return srv
}

func (e *env) newServer() *server.Server {
	return server.New(server.Config{
		ProjectDir: e.dir,
		Store:      e.st,
		Executors:  e.exe,
		LogDir:     e.logDir,
		Logger:     slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

// run reads a run.
func (e *env) run(id int64) record.Run {
	e.t.Helper()
	r, err := e.st.GetRun(e.ctx, id)
	if err != nil {
		e.t.Fatalf("get run %d: %v", id, err)
	}
	return r
}

// runs lists the runs f selects, oldest first.
func (e *env) runs(f store.RunFilter) []record.Run {
	e.t.Helper()
	if f.Limit == 0 {
		f.Limit = -1
	}
	rs, err := e.st.ListRuns(e.ctx, f)
	if err != nil {
		e.t.Fatalf("list runs: %v", err)
	}
	slices.SortFunc(rs, func(a, b record.Run) int { return int(a.ID - b.ID) })
	return rs
}

// waitState waits until run id is in state want, failing early when it
// reaches another final state.
func (e *env) waitState(id int64, want record.RunState) record.Run {
	e.t.Helper()
	var last record.Run
	eventually(e.t, waitFor, fmt.Sprintf("run %d to be %s", id, want), func() bool {
		last = e.run(id)
		if last.State.Final() && last.State != want {
			e.t.Fatalf("run %d ended %s (%s), want %s", id, last.State, last.Error, want)
		}
		return last.State == want
	})
	return last
}

// attempts lists a run's attempts of task ("" for all), by ID.
func (e *env) attempts(runID int64, task string) []record.TaskAttempt {
	e.t.Helper()
	as, err := e.srv.ListAttempts(e.ctx, runID, task)
	if err != nil {
		e.t.Fatalf("list attempts of run %d: %v", runID, err)
	}
	return as
}

// tasks returns a run's task states by task name.
func (e *env) tasks(runID int64) map[string]record.RunTask {
	e.t.Helper()
	_, ts, err := e.srv.GetRun(e.ctx, runID)
	if err != nil {
		e.t.Fatalf("get run %d: %v", runID, err)
	}
	out := map[string]record.RunTask{}
	for _, rt := range ts {
		out[rt.Task] = rt
	}
	return out
}

// readPID waits for a file holding a process ID and returns it.
func (e *env) readPID(name string) int {
	e.t.Helper()
	var pid int
	eventually(e.t, waitFor, "pid file "+name, func() bool {
		b, err := os.ReadFile(e.path(name))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	return pid
}

// waitGone waits until process pid no longer runs (a zombie nobody reaps
// counts as gone: PID 1 of a container may not reap).
func waitGone(t testing.TB, pid int) {
	t.Helper()
	eventually(t, waitFor, fmt.Sprintf("process %d to be gone", pid), func() bool { return !alive(pid) })
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// dump logs every run and its attempts, for a failing test.
func (e *env) dump() {
	rs, err := e.st.ListRuns(e.ctx, store.RunFilter{Limit: -1})
	if err != nil {
		e.t.Logf("dump: %v", err)
		return
	}
	slices.SortFunc(rs, func(a, b record.Run) int { return int(a.ID - b.ID) })
	for _, r := range rs {
		e.t.Logf("run %d %s %s trigger=%s interval=[%s, %s) backfill=%d started=%s finished=%s err=%q",
			r.ID, r.Pipeline, r.State, r.Trigger, r.IntervalStart.Format(time.RFC3339), r.IntervalEnd.Format(time.RFC3339),
			r.BackfillID, fmtTime(r.StartedAt), fmtTime(r.FinishedAt), r.Error)
		as, _ := e.st.ListAttempts(e.ctx, r.ID, "")
		for _, a := range as {
			e.t.Logf("    attempt %s#%d %s pid=%d exit=%d started=%s finished=%s err=%q",
				a.Task, a.Attempt, a.State, a.PID, a.ExitCode, fmtTime(a.StartedAt), fmtTime(a.FinishedAt), a.Error)
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("15:04:05.000000")
}

// countState counts the runs in state s.
func countState(rs []record.Run, s record.RunState) int {
	n := 0
	for _, r := range rs {
		if r.State == s {
			n++
		}
	}
	return n
}

// day is the UTC midnight of a YYYY-MM-DD date.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
