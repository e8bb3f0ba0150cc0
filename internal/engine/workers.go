package engine

import "sync/atomic"

// maxIdleWorkers bounds the goroutines kept waiting for an attempt.
const maxIdleWorkers = 32

// work hands an attempt to an idle worker; idleWorkers counts them.
var (
	work        = make(chan func())
	idleWorkers atomic.Int32
)

// goAttempt runs f, an attempt to its end, on a goroutine of its own: an
// idle one kept from an earlier attempt where there is one. An attempt
// grows its goroutine's stack through the executor and os/exec; a kept
// goroutine has grown it already, which a chain of short tasks otherwise
// pays for at every task.
func goAttempt(f func()) {
	select {
	case work <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	for {
		f()
		if idleWorkers.Add(1) > maxIdleWorkers {
			idleWorkers.Add(-1)
			return
		}
		f = <-work
		idleWorkers.Add(-1)
	}
}
