package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Back-off between attempts to commit a step the store refused.
const (
	storeRetryFirst = 100 * time.Millisecond
	storeRetryMax   = 5 * time.Second
	// A failure that is not known to be transient is tried this many
	// times more before the run's loop gives up; the server then resumes
	// the run from what the store holds.
	storeRetryUnknown = 5
)

// ErrStore marks a run whose loop stopped because the store would not take
// its next step. Nothing past the last commit was acted on; the run resumes
// from what the store holds (Execute), as after a crash.
var ErrStore = errors.New("store refused the run's next step")

// save commits the step, retrying with back-off while the store fails:
// the run waits, and says so, rather than act on what is not persisted.
// It gives up on an error that retrying cannot mend (the store answered
// that the step conflicts with what it holds), after a few tries on an
// error not known to be transient, and when ctx ends (the run is then
// suspended). A cancel by the user while it waits is taken: the attempts
// are killed, and the run is recorded cancelled once the store takes it.
func (r *runner) save(ctx, wctx context.Context, cancel context.CancelFunc) error {
	delay := storeRetryFirst
	for tries := 0; ; tries++ {
		err := r.commit(wctx)
		if err == nil {
			if tries > 0 {
				r.e.cfg.Logger.Info("store takes writes again; run goes on", "run_id", r.run.ID, "tries", tries+1)
				r.notify(Event{Detail: "the store takes writes again", Warning: true})
			}
			return nil
		}
		transient := errors.Is(err, store.ErrUnavailable)
		switch {
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound),
			!transient && tries >= storeRetryUnknown:
			log := r.e.cfg.Logger.Error
			if ctx.Err() != nil {
				// The run was being stopped (this process no longer
				// leads, say): the step another process took first is
				// the fence working, not a fault.
				log = r.e.cfg.Logger.Info
			}
			log("store refused the run's next step; the run resumes from the store",
				"run_id", r.run.ID, "tries", tries+1, "err", err)
			return fmt.Errorf("run %d: %w: %w", r.run.ID, ErrStore, err)
		}
		r.e.cfg.Logger.Warn("store write failed; the run waits and retries",
			"run_id", r.run.ID, "retry_in", delay, "tries", tries+1, "err", err)
		if tries == 0 {
			r.notify(Event{Warning: true, Detail: "waiting for the store: " + err.Error()})
		}
		select {
		case <-r.e.cfg.Clock.After(delay):
		case <-ctx.Done():
			return fmt.Errorf("run %d: %w (while the store was failing: %v)", r.run.ID, ErrSuspended, err)
		case <-r.cancelRequest():
			r.cancelled = true
			cancel()
		}
		delay = min(2*delay, storeRetryMax)
	}
}

// cancelRequest is the user's cancel channel until the run took it.
func (r *runner) cancelRequest() <-chan struct{} {
	if r.cancelled {
		return nil
	}
	return r.req.Cancel
}

// notify reports, at once, a warning about the run that changes no state
// (its State is "").
func (r *runner) notify(ev Event) {
	if obs := r.e.cfg.Observe; obs != nil {
		ev.Time = r.e.cfg.Clock.Now()
		ev.RunID = r.run.ID
		obs(ev)
	}
}

// abandon stops the loop after a step could not be saved: attempts that
// run are killed and waited for; those the step would have started never
// started, so nothing waits for them.
func (r *runner) abandon(cancel context.CancelFunc, err error) error {
	cancel()
	r.running -= len(r.starts)
	r.starts = r.starts[:0]
	r.drain()
	return err
}

// storable makes text a task produced safe for every store: PostgreSQL
// refuses NUL bytes and invalid UTF-8 in text, and a step it refuses
// would stop the run.
func storable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// storableAttempt applies storable to what an attempt reports.
func storableAttempt(a *record.TaskAttempt) {
	a.Error = storable(a.Error)
	for i, e := range a.OutputErrors {
		a.OutputErrors[i] = storable(e)
	}
	for i := range a.Outputs {
		a.Outputs[i].Key = storable(a.Outputs[i].Key)
		a.Outputs[i].Value = storable(a.Outputs[i].Value)
	}
}
