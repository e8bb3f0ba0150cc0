package executor

import (
	"context"
	"errors"
	"slices"
)

// Executor runs the attempts of one kind of task. It is safe for
// concurrent use; one Executor serves every attempt of its kind in a
// process.
type Executor interface {
	// Run runs one attempt to its end and reports what happened. It
	// returns only once nothing of the attempt is left running.
	Run(ctx context.Context, a Attempt) Result
	// Reap finds what is left of an attempt that was running when the
	// Gantry that started it stopped, and ends it. It reports whether
	// anything was found, and returns once all of it is gone or ctx ends.
	Reap(ctx context.Context, h Handle) (found bool, err error)
}

// Adopter is an Executor whose attempts run elsewhere (on workers) and
// outlive the process that started them: the process that recovers a run
// takes such an attempt over instead of reaping it.
type Adopter interface {
	// Adopt returns what waits for the attempt h names to end and reports
	// its result, or nil when there is nothing to take over (the attempt
	// is then reaped and lost). Cancelling the wait's context asks the
	// attempt to end, as for Run.
	Adopt(ctx context.Context, h Handle) (wait func(context.Context) Result, err error)
}

// Handle is what the executor of an attempt's kind is given to find the
// attempt again once the Gantry that started it has stopped. The engine
// builds it from what it recorded and does not look inside.
type Handle struct {
	// PID is Result.PID as recorded (the process kind's process group);
	// 0 when Gantry stopped before recording it.
	PID int
	// Marks are KEY=VALUE entries of the environment the attempt was
	// given that no other attempt of any project shares: its
	// GANTRY_ATTEMPT_ID and GANTRY_OUTPUT. Nothing is reaped without them.
	Marks []string
}

// Set holds the executor of every kind of task a Gantry process runs,
// keyed by kind ("process").
type Set map[string]Executor

// Close releases what the executors keep between attempts (the process
// kind keeps emptied cgroups): call it once the process runs no more
// attempts.
func (s Set) Close() error {
	var errs []error
	for _, k := range s.Kinds() {
		if c, ok := s[k].(interface{ Close() error }); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Kinds lists the kinds s runs, sorted.
func (s Set) Kinds() []string {
	kinds := make([]string, 0, len(s))
	for k := range s {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// Limits reports how the executor of kind enforces resource limits on
// this machine; false when s has no such kind or its executor cannot say.
func (s Set) Limits(kind string) (LimitSupport, bool) {
	l, ok := s[kind].(interface{ Limits() LimitSupport })
	if !ok {
		return LimitSupport{}, false
	}
	return l.Limits(), true
}

// LimitNotes lists, one line per kind, the resource limits the executors
// of s cannot enforce here.
func (s Set) LimitNotes() []string {
	var notes []string
	for _, k := range s.Kinds() {
		if ls, ok := s.Limits(k); ok && ls.Note != "" {
			notes = append(notes, ls.Note)
		}
	}
	return notes
}
