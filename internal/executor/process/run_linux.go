package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"golang.org/x/sys/unix"
)

// waitDelay bounds how long output is drained after the attempt's
// processes are gone; only an escapee outside any cgroup that scrubbed its
// environment can still hold the pipe.
const waitDelay = time.Second

// gatePrefix holds the shell until its pid is in the attempt's v1 cgroups:
// it reads fd 3 until the executor closes the other end. The newline keeps
// a syntax error in the command from stopping the shell before the gate.
const gatePrefix = "read _ <&3; exec 3<&-\n"

// Run runs one attempt to its end and reports what happened. It never
// panics and always returns once every process of the attempt is gone:
// every process of its cgroup, or without one every process that still
// carries the attempt's GANTRY_OUTPUT (and GANTRY_ATTEMPT_ID) in its
// environment.
func (e *Executor) Run(ctx context.Context, a executor.Attempt) (res executor.Result) {
	r := &attemptRun{e: e, a: a, gate: -1, guardID: a.AttemptID}
	if r.guardID == 0 {
		r.guardID = -guardSeq.Add(1)
	}
	defer func() {
		if p := recover(); p != nil {
			r.abort()
			r.cleanup()
			res = failed(fmt.Sprintf("executor: panic: %v", p))
		}
	}()
	if err := ctx.Err(); err != nil {
		res = failed("cancelled before start")
		res.Outcome = executor.Cancelled
		if errors.Is(err, context.DeadlineExceeded) {
			res.Outcome, res.Error = executor.TimedOut, "run timeout"
		}
		return res
	}
	if err := r.prepare(); err != nil {
		r.cleanup()
		return failed("start: " + err.Error())
	}
	if g := e.guard; g != nil {
		g.register(r.guardID, r.cg, r.marks())
		defer func() { // the paths that never reach finish
			if !r.guardKeep {
				g.ended(r.guardID)
			}
		}()
	}
	if err := r.start(); err != nil {
		r.cleanup()
		return failed("start: " + err.Error())
	}
	r.supervise(ctx)
	return r.finish()
}

func failed(msg string) executor.Result {
	now := time.Now()
	return executor.Result{Outcome: executor.Failed, ExitCode: -1, Error: msg, StartedAt: now, FinishedAt: now}
}

// attemptRun is the state of one Run.
type attemptRun struct {
	e   *Executor
	a   executor.Attempt
	cmd *exec.Cmd

	log    *lazyFile
	copier *lineWriter // nil on the fast path
	out    *outputPipe
	cg     *attemptCgroup
	gate   int // v1: the write end the shell waits on; -1 when none
	poller *rssPoller

	guardID    int64 // the attempt's ID with the Guard: its AttemptID, or a negative sequence
	guardKeep  bool  // some of its processes would not die: the Guard keeps them
	pid        int
	parentRSS  int64 // Gantry's own high-water mark when the attempt started
	startedAt  time.Time
	finishedAt time.Time
	reaped     bool

	// mu guards reason, exited and grace against supervise's callbacks.
	mu     sync.Mutex
	exited bool
	grace  *time.Timer
	// Why the executor ended the attempt; "" when it ended by itself.
	reason    executor.Outcome
	reasonMsg string
}

func (r *attemptRun) prepare() error {
	a := &r.a
	if a.KillGrace <= 0 {
		a.KillGrace = executor.DefaultKillGrace
	}
	r.log = newLazyFile(a.LogPath, a.LogLimit)
	env := append(slices.Clip(r.e.env), a.Env...)
	if a.OutputPath != "" {
		// Not created here: creating a file costs as much as a short task
		// on some filesystems, so the task creates it if it reports.
		// unlink(2) itself: os.Remove would try rmdir(2) after every
		// ENOENT, two calls per attempt for a file that is never there.
		if err := syscall.Unlink(a.OutputPath); err != nil && err != syscall.ENOENT {
			return fmt.Errorf("output file: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(a.OutputPath), 0o755); err != nil {
			return fmt.Errorf("output file: %w", err)
		}
		env = append(env, "GANTRY_OUTPUT="+a.OutputPath)
	}
	script := a.Command
	r.cmd = &exec.Cmd{
		Path:        r.e.sh,
		Dir:         a.Dir,
		Env:         env,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		// One /dev/null for every attempt: with none, os/exec opens,
		// configures and closes its own each time (seven calls).
		Stdin: devNull(),
	}
	// Output goes through a pipe to a log file made on the first byte, so
	// a silent task creates no file at all.
	var sink io.Writer = r.log
	if needsCopier(a) {
		r.copier = newLineWriter(r.log, *a, &r.e.followMu)
		sink = r.copier
	}
	out, err := newOutputPipe(sink)
	if err != nil {
		return fmt.Errorf("output pipe: %w", err)
	}
	r.out = out
	r.cmd.Stdout, r.cmd.Stderr = out.w, out.w
	if err := r.setupCgroup(); err != nil {
		return err
	}
	if r.cg != nil && r.cg.version == "v1" {
		// Blocking descriptors, kept out of the runtime's poller: the
		// shell reads its end, and this end is only ever closed.
		var fds [2]int
		if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
			return fmt.Errorf("gate pipe: %w", err)
		}
		r.cmd.ExtraFiles, r.gate = []*os.File{os.NewFile(uintptr(fds[0]), "gate")}, fds[1]
		script = gatePrefix + script
	}
	r.cmd.Args = []string{"sh", "-c", script}
	return nil
}

// setupCgroup gives every attempt its own cgroup where one can be made,
// limits or not: it is what holds, and at the end kills, a process that
// left the process group. It is an ended attempt's, emptied, where one
// with the same limits is kept (see Reuse in cgroup_linux.go). A cgroup that cannot be made is logged and the
// attempt runs without: its memory limit then falls back to polling, and
// its escapees are found by their environment.
func (r *attemptRun) setupCgroup() error {
	s, a := r.e.cgroups, r.a
	if s == nil {
		return nil
	}
	cg, reused, err := s.get(a.MemoryLimit, a.MilliCPU)
	if err != nil {
		r.e.log.Warn("executor: create cgroup; limits fall back", "err", err)
		return nil
	}
	r.cg = cg
	if r.e.cgroupCreated != nil && !reused {
		r.e.cgroupCreated(cg.dirs)
	}
	if cg.fd >= 0 {
		r.cmd.SysProcAttr.UseCgroupFD, r.cmd.SysProcAttr.CgroupFD = true, cg.fd
	}
	return nil
}

func needsCopier(a *executor.Attempt) bool {
	if a.Follow != nil {
		return true
	}
	for _, s := range a.Redact {
		if s != "" {
			return true
		}
	}
	return false
}

func (r *attemptRun) start() error {
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		r.parentRSS = self.Maxrss * 1024
	}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.pid, r.startedAt = r.cmd.Process.Pid, time.Now()
	r.out.started(r.pid)
	if r.e.guard != nil {
		r.e.guard.started(r.guardID, r.pid)
	}
	if r.gate >= 0 {
		_ = r.cmd.ExtraFiles[0].Close()
		err := r.cg.join(r.pid)
		_ = syscall.Close(r.gate) // releases the shell
		r.gate = -1
		if err != nil {
			r.abort()
			return fmt.Errorf("cgroup: %w", err)
		}
	}
	if r.a.MemoryLimit > 0 && (r.cg == nil || !r.e.cgroups.memory) {
		r.poller = startRSSPoller(r.pid, r.a.MemoryLimit)
	}
	if r.a.Started != nil {
		r.a.Started(r.pid, r.startedAt)
	}
	return nil
}

// cleanup releases what prepare made when the process never ran.
func (r *attemptRun) cleanup() {
	if r.cmd != nil {
		for _, f := range r.cmd.ExtraFiles {
			_ = f.Close()
		}
	}
	if r.gate >= 0 {
		_ = syscall.Close(r.gate)
	}
	if r.out != nil {
		r.out.close()
	}
	if r.cg != nil {
		_ = r.cg.remove()
	}
	if r.log != nil {
		_ = r.log.Close()
	}
}

// abort kills and reaps whatever was started, for paths that give up.
func (r *attemptRun) abort() {
	if r.pid == 0 || r.reaped {
		return
	}
	r.endGuarded(r.killRest())
	if r.poller != nil {
		r.poller.Stop()
		r.poller = nil
	}
	_ = r.cmd.Wait()
	r.reaped = true
	r.out.close()
}

// waitExited blocks until process pid has exited, without reaping it: its
// pid, and so its process-group id, cannot be reused while the group is
// being cleaned up.
func waitExited(pid int) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// guardSeq numbers the attempts without an AttemptID for the Guard.
var guardSeq atomic.Int64

// devNull is /dev/null, opened once for the process's life and given to
// every attempt as its stdin; nil (os/exec then opens one) if it cannot
// be opened.
var devNull = sync.OnceValue(func() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
})
