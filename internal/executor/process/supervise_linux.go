package process

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// supervise copies output and waits for the leader to exit, ending the attempt early on its
// timeout, on ctx, or when its polled memory goes over the limit.
//
// It waits on the calling goroutine and reacts to the rest through
// callbacks: a task that simply runs to its end costs no extra goroutine
// hand-off, which is most of the engine's latency between chained tasks.
func (r *attemptRun) supervise(ctx context.Context) {
	var stops []func() bool
	if r.a.Timeout > 0 {
		msg := fmt.Sprintf("timed out after %s", r.a.Timeout)
		t := time.AfterFunc(r.a.Timeout-time.Since(r.startedAt), func() { r.terminate(executor.TimedOut, msg) })
		stops = append(stops, t.Stop)
	}
	if ctx.Done() != nil {
		stops = append(stops, context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.terminate(executor.TimedOut, "run timeout")
			} else {
				r.terminate(executor.Cancelled, "cancelled")
			}
		}))
	}
	exited := make(chan struct{})
	if r.poller != nil {
		go func() {
			select {
			case <-r.poller.exceeded:
				r.mu.Lock()
				if !r.exited {
					r.setReason(executor.MemoryExceeded, "") // the message needs the final peak
					r.signal(syscall.SIGKILL)
				}
				r.mu.Unlock()
			case <-exited:
			}
		}()
	}
	r.out.wait(r.pid)
	r.finishedAt = time.Now()
	for _, stop := range stops {
		stop()
	}
	// From here the leader may be reaped and its pid reused: no callback
	// may signal the group any more.
	r.mu.Lock()
	r.exited = true
	if r.grace != nil {
		r.grace.Stop()
	}
	r.mu.Unlock()
	close(exited)
}

// terminate records why the attempt is being ended, sends SIGTERM, and
// SIGKILL after the grace period. A second reason (cancel after timeout)
// keeps the first and its grace period.
func (r *attemptRun) terminate(o executor.Outcome, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exited || !r.setReason(o, msg) {
		return
	}
	r.signal(syscall.SIGTERM)
	r.grace = time.AfterFunc(r.a.KillGrace, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.exited {
			r.signal(syscall.SIGKILL)
		}
	})
}

func (r *attemptRun) setReason(o executor.Outcome, msg string) bool {
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
