package executor

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// supervise waits for the leader to exit, ending the attempt early on its
// timeout, on ctx, or when its polled memory goes over the limit.
func (r *attemptRun) supervise(ctx context.Context) {
	var memC <-chan struct{}
	var timeout <-chan time.Time
	if r.a.Timeout > 0 {
		t := time.NewTimer(r.a.Timeout - time.Since(r.startedAt))
		defer t.Stop()
		timeout = t.C
	}
	if r.poller != nil {
		memC = r.poller.exceeded
	}
	done := ctx.Done()
	if timeout == nil && memC == nil && done == nil {
		waitExited(r.pid) // nothing can end it early: no goroutine needed
		r.finishedAt = time.Now()
		return
	}
	exited := make(chan struct{})
	go func() {
		waitExited(r.pid)
		close(exited)
	}()
	var grace <-chan time.Time
	for {
		select {
		case <-exited:
			r.finishedAt = time.Now()
			return
		case <-timeout:
			timeout = nil
			grace = r.terminate(TimedOut, fmt.Sprintf("timed out after %s", r.a.Timeout), grace)
		case <-done:
			done = nil
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				grace = r.terminate(TimedOut, "run timeout", grace)
			} else {
				grace = r.terminate(Cancelled, "cancelled", grace)
			}
		case <-memC:
			memC = nil
			r.setReason(MemoryExceeded, "") // the message needs the final peak
			r.signal(syscall.SIGKILL)
		case <-grace:
			grace = nil
			r.signal(syscall.SIGKILL)
		}
	}
}

// terminate records why the attempt is being ended and sends SIGTERM; the
// returned channel fires when the grace period is over. A second reason
// (cancel after timeout) keeps the first and its grace period.
func (r *attemptRun) terminate(o Outcome, msg string, grace <-chan time.Time) <-chan time.Time {
	if !r.setReason(o, msg) {
		return grace
	}
	r.signal(syscall.SIGTERM)
	return time.After(r.a.KillGrace)
}

func (r *attemptRun) setReason(o Outcome, msg string) bool {
	if r.reason != "" {
		return false
	}
	r.reason, r.reasonMsg = o, msg
	return true
}

// signal sends sig to the attempt's process group and, when it has one, to
// every process in its cgroup.
func (r *attemptRun) signal(sig syscall.Signal) {
	_ = syscall.Kill(-r.pid, sig)
	if r.cg != nil {
		r.cg.signal(sig)
	}
}
