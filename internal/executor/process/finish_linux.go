package process

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// finish cleans up after the leader has exited, reaps it and builds the
// Result.
func (r *attemptRun) finish() executor.Result {
	r.endGuarded(r.killRest())
	var polledPeak int64
	if r.poller != nil {
		polledPeak = r.poller.Stop()
	}
	r.out.drain(waitDelay)
	r.out.close()
	_ = r.cmd.Wait() // the state is read below
	r.reaped = true
	if r.copier != nil {
		r.copier.Flush()
	}
	_ = r.log.Close()

	res := executor.Result{PID: r.pid, StartedAt: r.startedAt, FinishedAt: r.finishedAt}
	ps := r.cmd.ProcessState
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		res.PeakMemory = ru.Maxrss * 1024 // KiB on Linux
		res.CPUTime = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// A forked child starts as a copy of Gantry, and the kernel keeps that
	// copy's size as the child's high-water mark: a figure no larger than
	// Gantry's own high-water mark says nothing about the task. Gantry's
	// mark is read again now, as it may have grown between the read before
	// the fork and the fork itself.
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		r.parentRSS = max(r.parentRSS, self.Maxrss*1024)
	}
	if res.PeakMemory <= r.parentRSS {
		res.PeakMemory = 0
	}
	res.PeakMemory = max(res.PeakMemory, polledPeak)
	var limitHit bool // without a kill count, the cgroup hit its limit
	if r.cg != nil {
		peak, cpu := r.cg.usage()
		if peak > 0 {
			res.PeakMemory = peak
		}
		if cpu > 0 {
			res.CPUTime = cpu
		}
		n, exact := r.cg.oomKills()
		if exact {
			res.OOMKills = n
		} else {
			limitHit = n > 0
		}
		if err := r.e.cgroups.release(r.cg); err != nil {
			r.e.log.Warn("executor: remove cgroup", "err", err)
		}
		r.cg = nil
	}
	if r.a.OutputPath != "" {
		res.Outputs, res.OutputErrors = readOutputs(r.a.OutputPath, r.a.Redact)
	}

	res.ExitCode = ps.ExitCode()
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		res.Signal = ws.Signal().String()
	}
	switch {
	case r.reason == executor.MemoryExceeded:
		res.Outcome, res.Error = executor.MemoryExceeded, r.memoryError(res.PeakMemory, 0)
	case r.reason == "" && (res.OOMKills > 0 || limitHit && !ps.Success()):
		// Whatever the leader's exit: a task whose child the kernel
		// killed for memory did not do all its work.
		res.Outcome, res.Error = executor.MemoryExceeded, r.memoryError(res.PeakMemory, res.OOMKills)
	case r.reason != "":
		res.Outcome, res.Error = r.reason, r.reasonMsg
	case ps.Success():
		res.Outcome = executor.Succeeded
	default:
		res.Outcome, res.Error = executor.Failed, ps.String() // "exit status 3", "signal: killed"
	}
	return res
}

// killRest kills what is left of the attempt once its leader has exited
// or is given up on: background children of a task that exited, whatever
// ignored SIGTERM, and processes that left the process group (setsid,
// double fork). The cgroup holds them all; without one they are found by
// the entries of their environment that only this attempt's processes
// carry. It runs before the leader is reaped, so -pid is still ours, and
// before the output is drained, which an escapee could hold open.
func (r *attemptRun) killRest() error {
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	if r.cg != nil {
		err := r.cg.killAll()
		if err != nil {
			r.e.log.Warn("executor: kill attempt cgroup", "err", err)
		}
		return err
	}
	if marks := r.marks(); marks != nil {
		err := killMarked(marks, startTicks(r.pid))
		if err != nil {
			r.e.log.Warn("executor: kill escaped processes", "err", err)
		}
		return err
	}
	return nil
}

// endGuarded tells the Guard the attempt's processes are gone, before the
// leader is reaped (its pid is still ours), when killRest said so. When
// some would not die the guard keeps them: it tries again should this
// process die, and never reports the attempt as ended.
func (r *attemptRun) endGuarded(killErr error) {
	if r.e.guard == nil {
		return
	}
	if killErr != nil {
		r.guardKeep = true
		return
	}
	r.e.guard.ended(r.guardID)
}

// marks are the environment entries that single out the attempt's
// processes: its GANTRY_OUTPUT, a path no other attempt of any project
// shares, and its GANTRY_ATTEMPT_ID when the caller set one. Without an
// output path there is nothing unique to go by, and nil is returned.
func (r *attemptRun) marks() []string {
	if r.a.OutputPath == "" {
		return nil
	}
	marks := []string{"GANTRY_OUTPUT=" + r.a.OutputPath}
	for _, kv := range r.a.Env {
		if strings.HasPrefix(kv, "GANTRY_ATTEMPT_ID=") {
			marks = append(marks, kv)
		}
	}
	return marks
}

// memoryError says what went over which limit; kills is the kernel's count
// of processes it killed for memory, 0 when the poller killed the group.
func (r *attemptRun) memoryError(peak, kills int64) string {
	msg := "memory limit " + formatBytes(r.a.MemoryLimit) + " exceeded"
	if r.a.MemoryLimit <= 0 {
		msg = "out of memory" // the machine's or an enclosing cgroup's
	}
	msg += " (peak " + formatBytes(peak) + ")"
	switch {
	case kills == 1:
		msg += ": 1 process killed by the kernel"
	case kills > 1:
		msg += fmt.Sprintf(": %d processes killed by the kernel", kills)
	}
	return msg
}
