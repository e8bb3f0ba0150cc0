package server

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// dispatchLoop starts runs whenever something may have made room for one.
func (s *Server) dispatchLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.DispatchEvery)
	defer tick.Stop()
	for {
		s.dispatch(ctx)
		select {
		case <-ctx.Done():
			s.suspendAll()
			return
		case <-tick.C:
		case <-s.wakeDispatch:
		}
	}
}

// suspendAll waits for every executing run to notice the stop.
func (s *Server) suspendAll() {
	s.mu.Lock()
	var done []chan struct{}
	for _, a := range s.active {
		done = append(done, a.done)
	}
	s.mu.Unlock()
	for _, d := range done {
		<-d
	}
}

// dispatch looks at every run not yet final, oldest first, and starts those
// that may start.
func (s *Server) dispatch(ctx context.Context) {
	runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{
		States: []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning},
		Limit:  -1,
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("dispatch: list runs", "err", err)
		}
		return
	}
	slices.SortFunc(runs, func(a, b record.Run) int { return int(a.ID - b.ID) })

	s.mu.Lock()
	live := map[string]int{}
	backfill := map[int64]int{}
	for _, a := range s.active {
		if a.run.BackfillID != 0 {
			backfill[a.run.BackfillID]++
		} else {
			live[a.run.Pipeline]++
		}
	}
	s.mu.Unlock()
	parallel := map[int64]int{}

	for _, run := range runs {
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		_, busy := s.active[run.ID]
		paused := s.paused[run.Pipeline]
		s.mu.Unlock()
		p := s.pipelineFor(ctx, run)
		if busy || p == nil {
			continue
		}
		if run.State == record.RunRunning {
			// Left running by a server that stopped: resume it first.
			s.start(ctx, p, run)
			s.count(run, live, backfill)
			continue
		}
		if paused && run.Trigger != record.TriggerStaging {
			continue
		}
		if !s.hasRoom(ctx, p, run, live, backfill, parallel) {
			continue
		}
		if run.Trigger != record.TriggerManual && run.Trigger != record.TriggerStaging && !s.upstreamsDone(ctx, p, &run) {
			continue
		}
		s.start(ctx, p, run)
		s.count(run, live, backfill)
	}
}

func (s *Server) count(run record.Run, live map[string]int, backfill map[int64]int) {
	if run.BackfillID != 0 {
		backfill[run.BackfillID]++
	} else {
		live[run.Pipeline]++
	}
}

// hasRoom applies max_active_runs to live runs and each backfill's own
// parallelism to its runs.
func (s *Server) hasRoom(ctx context.Context, p *pipeline, run record.Run, live map[string]int, backfill map[int64]int, parallel map[int64]int) bool {
	if run.BackfillID == 0 {
		limit := p.spec.Concurrency.MaxActiveRuns
		if limit <= 0 {
			limit = 1
		}
		return live[run.Pipeline] < limit
	}
	n, ok := parallel[run.BackfillID]
	if !ok {
		b, err := s.cfg.Store.GetBackfill(ctx, run.BackfillID)
		if err != nil {
			s.log.Error("dispatch: read backfill", "backfill", run.BackfillID, "err", err)
			return false
		}
		n = max(b.Parallel, 1)
		parallel[run.BackfillID] = n
	}
	return backfill[run.BackfillID] < n
}

// upstreamsDone reports whether every upstream has a succeeded run covering
// run's interval; when not, it records the run as waiting.
func (s *Server) upstreamsDone(ctx context.Context, p *pipeline, run *record.Run) bool {
	for _, up := range p.upstreams {
		_, err := s.cfg.Store.FindCoveringRun(ctx, up, run.Env, run.IntervalStart, run.IntervalEnd)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("dispatch: check upstream", "run_id", run.ID, "upstream", up, "err", err)
			return false
		}
		if run.State != record.RunWaiting {
			run.State = record.RunWaiting
			run.Error = "waiting for " + up + " to succeed for this interval"
			if err := s.cfg.Store.Apply(ctx, &store.Batch{Run: run}); err != nil {
				s.log.Error("dispatch: record waiting", "run_id", run.ID, "err", err)
			}
		}
		return false
	}
	if run.State == record.RunWaiting {
		run.State, run.Error = record.RunQueued, ""
	}
	return true
}

// start executes run on its own goroutine.
func (s *Server) start(ctx context.Context, p *pipeline, run record.Run) {
	a := &activeRun{run: run, cancel: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.active[run.ID] = a
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(a.done)
		final, err := s.execute(ctx, p, run, a)
		s.mu.Lock()
		delete(s.active, run.ID)
		s.mu.Unlock()
		switch {
		case errors.Is(err, engine.ErrSuspended):
			return
		case err != nil:
			// The store failed: the run stays as it is and is tried again
			// at the dispatcher's next tick.
			s.log.Error("run", "run_id", run.ID, "pipeline", run.Pipeline, "err", err)
			return
		case final.ID == 0:
			// It had ended or been cancelled before it could start.
		default:
			s.log.Info("run finished", "run_id", final.ID, "pipeline", final.Pipeline, "state", final.State, "error", final.Error)
			if s.cfg.Observer != nil {
				s.cfg.Observer.RunFinished(final)
			}
			s.afterRun(context.WithoutCancel(ctx), final)
		}
		s.wake(s.wakeDispatch)
	}()
}

// execute runs one run to its end. A run that can never execute — its
// pipeline changed under it, or a secret it needs is gone — is recorded
// failed, with why.
func (s *Server) execute(ctx context.Context, p *pipeline, run record.Run, a *activeRun) (record.Run, error) {
	// The dispatcher's list may be stale: the run may have ended or been
	// cancelled since. This read comes after the run was registered as
	// active, so a Cancel from now on goes through a.cancel.
	fresh, err := s.cfg.Store.GetRun(ctx, run.ID)
	if err != nil {
		return record.Run{}, err
	}
	if fresh.State.Final() {
		return record.Run{}, nil
	}
	req := p.request(fresh.Trigger, fresh.IntervalStart, fresh.IntervalEnd, nil)
	req.Cancel = a.cancel
	var cleanup func()
	if fresh.Trigger == record.TriggerStaging {
		dir, done, err := s.workspace(ctx, fresh)
		if err != nil {
			return s.failUnrunnable(ctx, fresh, err)
		}
		req.Dir, cleanup = dir, done
	}
	final, err := s.eng.Execute(ctx, req, fresh)
	if cleanup != nil && err == nil && final.State.Final() {
		// Only an ended run's workspace goes: a suspended one resumes in
		// it, with what its finished tasks left there.
		cleanup()
	}
	if errors.Is(err, engine.ErrMismatch) || errors.Is(err, engine.ErrRequest) {
		return s.failUnrunnable(ctx, fresh, err)
	}
	return final, err
}

// failUnrunnable records run failed with why it cannot execute.
func (s *Server) failUnrunnable(ctx context.Context, run record.Run, why error) (record.Run, error) {
	run.State, run.Error, run.FinishedAt = record.RunFailed, why.Error(), time.Now()
	if err := s.cfg.Store.Apply(context.WithoutCancel(ctx), &store.Batch{Run: &run}); err != nil {
		return record.Run{}, err
	}
	return run, nil
}

// afterRun starts what a finished run unblocks: runs of pipelines that are
// triggered only by this one, for the same interval; and it closes a
// backfill whose last run ended.
func (s *Server) afterRun(ctx context.Context, run record.Run) {
	s.wakeAlerts()
	s.deployFinished(ctx, run)
	if run.BackfillID != 0 {
		s.closeBackfill(ctx, run.BackfillID)
	}
	if run.State != record.RunSucceeded {
		return
	}
	s.mu.Lock()
	var downstream []*pipeline
	for _, p := range s.pipes {
		// A paused pipeline gets its run too: it waits, queued, for resume.
		if p.sched == nil && slices.Contains(p.upstreams, run.Pipeline) {
			downstream = append(downstream, p)
		}
	}
	s.mu.Unlock()
	for _, p := range downstream {
		existing, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{Pipeline: p.spec.Name, Trigger: record.TriggerUpstream, Limit: 500})
		if err != nil {
			s.log.Error("upstream trigger", "pipeline", p.spec.Name, "err", err)
			continue
		}
		if slices.ContainsFunc(existing, func(r record.Run) bool {
			return r.Env == run.Env && r.IntervalStart.Equal(run.IntervalStart) && r.State != record.RunFailed && r.State != record.RunCancelled
		}) {
			continue
		}
		if _, err := s.eng.Create(ctx, p.request(record.TriggerUpstream, run.IntervalStart, run.IntervalEnd, nil)); err != nil {
			s.log.Error("upstream trigger", "pipeline", p.spec.Name, "err", err)
		}
	}
}
