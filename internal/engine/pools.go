package engine

import "github.com/gantryhq/gantry/internal/record"

// poolWait is a task of the run in its pool's line.
type poolWait struct {
	idx     int
	granted <-chan struct{}
	release func()
}

// pool is the pool t's attempts need a slot of; "" when none.
func (r *runner) pool(t *task) string {
	if r.e.cfg.Pools == nil || t.spec.Teardown {
		// A teardown cleans up after a run that may be stopping: it must
		// not wait behind other runs for a slot.
		return ""
	}
	return r.req.Pipeline.Concurrency.Pool
}

// takeSlot reports whether t may start now: it needs no pool slot, or it
// holds one. Otherwise t stands in its pool's line — the run's only task
// there, so runs take turns — and is recorded waiting_pool until the loop
// hears that the slot is granted. Its attempt, and so its timeout, starts
// only then.
func (r *runner) takeSlot(t *task) bool {
	name := r.pool(t)
	if name == "" {
		return true
	}
	if r.slot != nil && r.slot.idx != t.idx {
		r.leaveLine() // not expected: the head of the queue changed
	}
	if r.slot == nil {
		granted, release := r.e.cfg.Pools.Wait(name)
		r.slot = &poolWait{idx: t.idx, granted: granted, release: release}
	}
	select {
	case <-r.slot.granted:
		t.release = r.slot.release
		r.slot = nil
		return true
	default:
	}
	if t.state != record.TaskWaitingPool {
		r.set(t, record.TaskWaitingPool)
		r.emit(Event{Task: t.spec.ID, State: string(record.TaskWaitingPool),
			Detail: "for a slot of pool " + name})
	}
	return false
}

// slotGranted is the channel that tells the loop the run's task in line
// got its slot; nil when none waits.
func (r *runner) slotGranted() <-chan struct{} {
	if r.slot == nil || r.stopping != "" {
		return nil
	}
	return r.slot.granted
}

// leaveLine takes the run's waiting task out of its pool's line (a slot
// granted meanwhile is given back).
func (r *runner) leaveLine() {
	if r.slot != nil {
		r.slot.release()
		r.slot = nil
	}
}

// releaseSlot gives back the slot t's attempt held, once it ended.
func (r *runner) releaseSlot(t *task) {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}

// releaseSlots gives back every slot when the loop ends, however it ends:
// a suspended or abandoned run waited for its attempts first, and a run
// resumed later asks for slots again, so none is leaked.
func (r *runner) releaseSlots() {
	r.leaveLine()
	for _, t := range r.tasks {
		r.releaseSlot(t)
	}
}
