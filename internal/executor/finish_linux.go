package executor

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// finish cleans up after the leader has exited, reaps it and builds the
// Result.
func (r *attemptRun) finish() Result {
	// Stragglers: background children of a task that exited, and whatever
	// ignored SIGTERM. The leader is not yet reaped, so -pid is still ours.
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	if r.cg != nil {
		r.cg.killAll()
	}
	var polledPeak int64
	if r.poller != nil {
		polledPeak = r.poller.Stop()
	}
	_ = r.cmd.Wait() // the state is read below; a WaitDelay expiry is not the task's fault
	r.reaped = true
	if r.copier != nil {
		r.copier.Flush()
	}
	_ = r.log.Close()

	res := Result{PID: r.pid, StartedAt: r.startedAt, FinishedAt: r.finishedAt}
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
	oom := false
	if r.cg != nil {
		peak, cpu := r.cg.usage()
		if peak > 0 {
			res.PeakMemory = peak
		}
		if cpu > 0 {
			res.CPUTime = cpu
		}
		oom = r.cg.oomKilled()
		if err := r.cg.remove(); err != nil {
			r.e.log.Warn("executor: remove cgroup", "err", err)
		}
	}
	if r.a.OutputPath != "" {
		res.Outputs, res.OutputErrors = readOutputs(r.a.OutputPath, r.a.Redact)
		// Parsed into the result: the file itself may hold a secret.
		_ = os.Remove(r.a.OutputPath)
	}

	res.ExitCode = ps.ExitCode()
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		res.Signal = ws.Signal().String()
	}
	switch {
	case r.reason == MemoryExceeded || r.reason == "" && oom && !ps.Success():
		res.Outcome, res.Error = MemoryExceeded, r.memoryError(res.PeakMemory)
	case r.reason != "":
		res.Outcome, res.Error = r.reason, r.reasonMsg
	case ps.Success():
		res.Outcome = Succeeded
	default:
		res.Outcome, res.Error = Failed, ps.String() // "exit status 3", "signal: killed"
	}
	return res
}

func (r *attemptRun) memoryError(peak int64) string {
	return fmt.Sprintf("memory limit %s exceeded (peak %s)", formatBytes(r.a.MemoryLimit), formatBytes(peak))
}
