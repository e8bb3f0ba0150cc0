package pool

import (
	"slices"
	"strings"
	"sync"
)

// DefaultSlots is the size of a pool the Limiter was not told of (a
// revision naming a pool gantry.yaml no longer declares): one slot, the
// cautious choice for something meant to be scarce.
const DefaultSlots = 1

// Usage is one pool's occupancy at a moment.
type Usage struct {
	Pool    string
	Slots   int // tasks it lets run at once
	InUse   int // slots held now (may exceed Slots for a while after they shrank)
	Waiting int // tasks in line for a slot
}

// Limiter hands out pool slots within one process. It is safe for
// concurrent use; the zero value is not, use New.
type Limiter struct {
	mu    sync.Mutex
	pools map[string]*line
}

// line is one pool: its size, the slots held and who waits, in order.
type line struct {
	slots   int
	inUse   int
	waiting []*ticket
}

// ticket is one request for a slot.
type ticket struct {
	granted chan struct{}
	held    bool
	done    bool // released, or left the line
}

// New returns a Limiter for pools, each name mapped to its slots.
func New(pools map[string]int) *Limiter {
	l := &Limiter{pools: map[string]*line{}}
	l.SetSlots(pools)
	return l
}

// SetSlots resizes the pools (gantry.yaml was reloaded). Waiting tasks get
// the slots a pool gained at once; a pool that shrank lets what runs
// finish and grants nothing until fewer than its new size are in use. A
// pool no longer named keeps its line with DefaultSlots.
func (l *Limiter) SetSlots(pools map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, p := range l.pools {
		if _, ok := pools[name]; !ok {
			p.slots = DefaultSlots
			l.grant(p)
		}
	}
	for name, n := range pools {
		p := l.line(name)
		p.slots = max(n, 1)
		l.grant(p)
	}
}

// Wait puts the caller in pool's line. granted is closed once it holds a
// slot (at once when one is free). release gives the slot back, or leaves
// the line if it was not granted yet; it must be called exactly when the
// slot is no longer needed, and calling it again does nothing.
func (l *Limiter) Wait(pool string) (granted <-chan struct{}, release func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.line(pool)
	t := &ticket{granted: make(chan struct{})}
	p.waiting = append(p.waiting, t)
	l.grant(p)
	return t.granted, func() { l.release(p, t) }
}

// Usage reports every pool's occupancy, sorted by name: the declared
// pools, and any other one a task has asked for.
func (l *Limiter) Usage() []Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Usage, 0, len(l.pools))
	for name, p := range l.pools {
		out = append(out, Usage{Pool: name, Slots: p.slots, InUse: p.inUse, Waiting: len(p.waiting)})
	}
	slices.SortFunc(out, func(a, b Usage) int { return strings.Compare(a.Pool, b.Pool) })
	return out
}

func (l *Limiter) line(name string) *line {
	p, ok := l.pools[name]
	if !ok {
		p = &line{slots: DefaultSlots}
		l.pools[name] = p
	}
	return p
}

// grant hands free slots to the head of the line.
func (l *Limiter) grant(p *line) {
	for p.inUse < p.slots && len(p.waiting) > 0 {
		t := p.waiting[0]
		p.waiting = p.waiting[1:]
		t.held = true
		p.inUse++
		close(t.granted)
	}
}

func (l *Limiter) release(p *line, t *ticket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	if t.held {
		p.inUse--
		l.grant(p)
		return
	}
	if i := slices.Index(p.waiting, t); i >= 0 {
		p.waiting = slices.Delete(p.waiting, i, i+1)
	}
}
