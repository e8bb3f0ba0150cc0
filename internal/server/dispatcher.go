package server

import (
	"cmp"
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

// dispatch starts what may start: first the runs a stopped server left
// running, then, queue by queue, the oldest runs that wait, as long as
// their queue has room. A queue is a pipeline's own runs, on its
// max_active_runs, or a backfill's, on its parallelism; each is read from
// its head, a page at a time, and only while it has room, so a wake costs
// what the queues with room start, not what waits behind them, and a queue
// at its limit holds up no other.
func (s *Server) dispatch(ctx context.Context) {
	s.dispatching.Lock()
	defer s.dispatching.Unlock()
	n := s.activeCounts()
	if !s.resumeRunning(ctx, n) {
		return
	}
	queues, err := s.cfg.Store.ListQueues(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("dispatch: list queues", "err", err)
		}
		return
	}
	for _, q := range queues {
		if ctx.Err() != nil {
			return
		}
		if q.BackfillID != 0 {
			s.dispatchBackfill(ctx, q, n)
		} else {
			s.dispatchPipeline(ctx, q, n)
		}
	}
}

// counts are the runs this server executes, a pipeline's own by pipeline
// and backfills' by backfill.
type counts struct {
	live     map[string]int
	backfill map[int64]int
}

func (s *Server) activeCounts() counts {
	n := counts{live: map[string]int{}, backfill: map[int64]int{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.active {
		n.add(a.run)
	}
	return n
}

func (n counts) add(run record.Run) {
	if run.BackfillID != 0 {
		n.backfill[run.BackfillID]++
	} else {
		n.live[run.Pipeline]++
	}
}

// resumeRunning resumes the runs left running by a server that stopped,
// whatever the limits: they were within them when they started. It reports
// whether dispatch may go on.
func (s *Server) resumeRunning(ctx context.Context, n counts) bool {
	runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{States: []record.RunState{record.RunRunning}, Limit: -1})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("dispatch: list running runs", "err", err)
		}
		return false
	}
	slices.SortFunc(runs, func(a, b record.Run) int { return cmp.Compare(a.ID, b.ID) })
	for _, run := range runs {
		if ctx.Err() != nil {
			return false
		}
		if s.isActive(run.ID) {
			continue
		}
		if p := s.pipelineFor(ctx, run); p != nil {
			s.start(ctx, p, run)
			n.add(run)
		}
	}
	return true
}

func (s *Server) isActive(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.active[id]
	return ok
}

// dispatchPipeline starts the oldest runs of a pipeline's own queue while
// max_active_runs allows; a paused pipeline starts only staging runs.
func (s *Server) dispatchPipeline(ctx context.Context, q store.Queue, n counts) {
	s.mu.Lock()
	paused, cur := s.paused[q.Pipeline], s.pipes[q.Pipeline]
	s.mu.Unlock()
	limit := 1
	if cur != nil {
		limit = maxActive(cur)
		if n.live[q.Pipeline] >= limit {
			return
		}
	}
	f := store.QueueFilter{Queue: q, Limit: pageFor(limit)}
	if paused {
		f.Trigger = record.TriggerStaging
	}
	s.dispatchQueue(ctx, f, func(p *pipeline, run record.Run) bool {
		// The run's own pipeline: one pinned to a revision has its limit.
		return n.live[run.Pipeline] < maxActive(p)
	}, n)
}

// dispatchBackfill starts the oldest runs of a backfill, its parallelism
// at a time.
func (s *Server) dispatchBackfill(ctx context.Context, q store.Queue, n counts) {
	b, err := s.cfg.Store.GetBackfill(ctx, q.BackfillID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("dispatch: read backfill", "backfill", q.BackfillID, "err", err)
		}
		return
	}
	s.mu.Lock()
	paused := s.paused[b.Pipeline]
	s.mu.Unlock()
	limit := max(b.Parallel, 1)
	if paused || n.backfill[q.BackfillID] >= limit {
		return
	}
	f := store.QueueFilter{Queue: q, Limit: pageFor(limit)}
	s.dispatchQueue(ctx, f, func(*pipeline, record.Run) bool {
		return n.backfill[q.BackfillID] < limit
	}, n)
}

// dispatchQueue reads f's queue from its head, a page at a time, and starts
// each run that may start until room says there is none left. A run whose
// upstreams have not succeeded for its interval waits (and is recorded so)
// without taking room: the ones behind it are looked at.
func (s *Server) dispatchQueue(ctx context.Context, f store.QueueFilter, room func(*pipeline, record.Run) bool, n counts) {
	for {
		runs, err := s.cfg.Store.ListQueued(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("dispatch: list queued runs", "pipeline", f.Pipeline, "backfill", f.BackfillID, "err", err)
			}
			return
		}
		for _, run := range runs {
			if ctx.Err() != nil {
				return
			}
			f.AfterID = run.ID
			if s.isActive(run.ID) {
				continue // started already, counted
			}
			p := s.pipelineFor(ctx, run)
			if p == nil {
				continue
			}
			if !room(p, run) {
				return
			}
			if waitsForUpstreams(run.Trigger) && !s.upstreamsDone(ctx, p, &run) {
				continue
			}
			s.start(ctx, p, run)
			n.add(run)
		}
		if len(runs) < f.Limit {
			return
		}
	}
}

// maxActive is p's max_active_runs; 0 means 1.
func maxActive(p *pipeline) int {
	if l := p.spec.Concurrency.MaxActiveRuns; l > 0 {
		return l
	}
	return 1
}

// pageFor is how many runs of a queue with that limit are read at once:
// enough for its room and the runs it has just started (still queued in
// the store until they run), so that a wake mostly reads one page.
func pageFor(limit int) int {
	return min(max(2*limit, 8), 256)
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
			if ctx.Err() == nil {
				s.log.Error("dispatch: check upstream", "run_id", run.ID, "upstream", up, "err", err)
			}
			return false
		}
		if run.State != record.RunWaiting {
			run.State = record.RunWaiting
			run.Error = "waiting for " + up + " to succeed for this interval"
			if err := s.cfg.Store.Apply(ctx, &store.Batch{Run: run}); err != nil && ctx.Err() == nil {
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
		case err != nil && ctx.Err() != nil:
			// This process stopped dispatching (it stops, or another
			// leads): the run stays as it is for whoever dispatches next.
			s.log.Info("run left to the next dispatcher", "run_id", run.ID, "pipeline", run.Pipeline, "why", err)
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
	if err := s.seedRollback(ctx, &req, fresh); err != nil {
		return s.failUnrunnable(ctx, fresh, err)
	}
	var cleanup func()
	if fresh.Trigger != record.TriggerStaging && p.revision != "" && s.cfg.Deployments != nil {
		// A run in a revision folder runs what was deployed, or nothing.
		if err := s.verifyRevision(ctx, fresh.Pipeline, fresh.Env, p.revision, p.dir, fresh.ID); err != nil {
			return s.failUnrunnable(ctx, fresh, err)
		}
	}
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
	if err := s.eng.RemoveThrowaways(run.ID); err != nil {
		s.log.Warn("remove a failed run's throwaway environments", "run_id", run.ID, "err", err)
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

// waitsForUpstreams reports whether a run of trigger waits for its
// upstreams' intervals: not one a person asked for now (a trigger, a
// release rollback) nor a staging run.
func waitsForUpstreams(t record.Trigger) bool {
	return t != record.TriggerManual && t != record.TriggerStaging && t != record.TriggerRollback
}
