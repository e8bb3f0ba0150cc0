package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/store"
)

// Backfill creates one run per interval that starts on a day from req.From
// to req.To (inclusive, in the pipeline's zone), all at once and in order; the
// dispatcher runs them req.Parallel at a time, besides live runs.
func (s *Server) Backfill(ctx context.Context, req api.BackfillRequest) (api.BackfillStatus, error) {
	p, err := s.pipeline(req.Pipeline)
	if err != nil {
		return api.BackfillStatus{}, err
	}
	loc := p.location()
	from, _, err := schedule.BackfillBound(req.From, loc)
	if err != nil {
		return api.BackfillStatus{}, &api.FieldError{Field: "from", Msg: err.Error()}
	}
	to, end, err := schedule.BackfillBound(req.To, loc)
	if err != nil {
		return api.BackfillStatus{}, &api.FieldError{Field: "to", Msg: err.Error()}
	}
	if to.Before(from) || !end.After(from) {
		return api.BackfillStatus{}, &api.FieldError{Field: "to", Msg: "does not end after from"}
	}
	if req.Parallel < 0 {
		return api.BackfillStatus{}, &api.FieldError{Field: "parallel", Msg: "must be at least 1"}
	}
	ivs, err := schedule.BackfillIntervals(p.sched, loc, from, end, maxBackfill)
	if err != nil {
		return api.BackfillStatus{}, &api.FieldError{Field: "to", Msg: fmt.Sprintf("more than %d intervals", maxBackfill)}
	}
	if len(ivs) == 0 {
		return api.BackfillStatus{}, &api.FieldError{Field: "to", Msg: "no interval of the schedule falls in that range"}
	}
	b := record.Backfill{Pipeline: p.spec.Name, From: ivs[0].Start, To: ivs[len(ivs)-1].End,
		Parallel: max(req.Parallel, 1), Total: len(ivs), State: record.BackfillRunning,
		CreatedAt: time.Now(), CreatedBy: req.Actor}
	st := api.BackfillStatus{Backfill: b}
	if req.DryRun {
		for _, iv := range ivs {
			st.Intervals = append(st.Intervals, api.Interval{Start: iv.Start, End: iv.End})
		}
		return st, nil
	}
	runs := make([]*record.Run, 0, len(ivs))
	var names []string
	for _, iv := range ivs {
		er := p.request(record.TriggerBackfill, iv.Start, iv.End, nil)
		er.TriggeredBy = req.Actor // who may not approve its runs' approval tasks
		run, ns, err := s.eng.Plan(er)
		if errors.Is(err, engine.ErrRequest) {
			return api.BackfillStatus{}, fmt.Errorf("%w: %v", api.ErrInvalid, err)
		}
		if err != nil {
			return api.BackfillStatus{}, err
		}
		runs, names = append(runs, &run), ns
	}
	if err := s.cfg.Store.CreateBackfill(ctx, &b, runs, names); err != nil {
		return api.BackfillStatus{}, err
	}
	s.log.Info("backfill", "backfill", b.ID, "pipeline", b.Pipeline, "runs", b.Total, "parallel", b.Parallel, "actor", req.Actor)
	s.wake(s.wakeDispatch)
	return s.GetBackfill(ctx, b.ID)
}

// GetBackfill returns a backfill and its progress.
func (s *Server) GetBackfill(ctx context.Context, id int64) (api.BackfillStatus, error) {
	b, err := s.cfg.Store.GetBackfill(ctx, id)
	if err != nil {
		return api.BackfillStatus{}, err
	}
	runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{BackfillID: id, Limit: -1})
	if err != nil {
		return api.BackfillStatus{}, err
	}
	st := api.BackfillStatus{Backfill: b}
	var spent time.Duration
	for _, r := range runs {
		switch {
		case r.State == record.RunSucceeded:
			st.Done++
		case r.State == record.RunFailed:
			st.Done++
			st.Failed++
		case r.State == record.RunCancelled:
			st.Done++
			st.Cancelled++
		case r.State == record.RunRunning:
			st.Running++
		}
		if r.State.Final() && !r.StartedAt.IsZero() {
			spent += r.FinishedAt.Sub(r.StartedAt)
		}
	}
	if st.Done > 0 && b.State == record.BackfillRunning {
		left := b.Total - st.Done
		st.ETA = spent / time.Duration(st.Done) * time.Duration(left) / time.Duration(max(b.Parallel, 1))
	}
	return st, nil
}

// CancelBackfill cancels every run of a backfill that has not ended.
func (s *Server) CancelBackfill(ctx context.Context, id int64, actor string) (api.BackfillStatus, error) {
	b, err := s.cfg.Store.GetBackfill(ctx, id)
	if err != nil {
		return api.BackfillStatus{}, err
	}
	if b.State != record.BackfillRunning {
		return api.BackfillStatus{}, fmt.Errorf("backfill %d is already %s: %w", id, b.State, store.ErrConflict)
	}
	// Mark it first, so that the dispatcher starts none of its runs.
	if err := s.cfg.Store.SetBackfillState(ctx, id, record.BackfillCancelled); err != nil {
		return api.BackfillStatus{}, err
	}
	runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{BackfillID: id, Limit: -1})
	if err != nil {
		return api.BackfillStatus{}, err
	}
	for _, r := range runs {
		if r.State.Final() {
			continue
		}
		if _, err := s.Cancel(ctx, r.ID, actor); err != nil && !errors.Is(err, store.ErrConflict) {
			return api.BackfillStatus{}, err
		}
	}
	s.log.Info("backfill cancelled", "backfill", id, "actor", actor)
	return s.GetBackfill(ctx, id)
}

// closeBackfill marks a backfill done once none of its runs is left. It
// runs after every run of a backfill, so it first looks, at the cost of a
// few rows, for one that has not ended; only the last run's end reads them
// all.
func (s *Server) closeBackfill(ctx context.Context, id int64) {
	if left, err := s.backfillRunsLeft(ctx, id); err != nil || left {
		if err != nil {
			s.log.Error("close backfill", "backfill", id, "err", err)
		}
		return
	}
	st, err := s.GetBackfill(ctx, id)
	if err != nil || st.Backfill.State != record.BackfillRunning || st.Done < st.Backfill.Total {
		return
	}
	if err := s.cfg.Store.SetBackfillState(ctx, id, record.BackfillDone); err != nil {
		s.log.Error("close backfill", "backfill", id, "err", err)
	}
}

// backfillRunsLeft reports whether a run of backfill id waits to start or
// runs.
func (s *Server) backfillRunsLeft(ctx context.Context, id int64) (bool, error) {
	waiting, err := s.cfg.Store.ListQueued(ctx, store.QueueFilter{Queue: store.Queue{BackfillID: id}, Limit: 1})
	if err != nil || len(waiting) > 0 {
		return len(waiting) > 0, err
	}
	running, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{BackfillID: id, States: []record.RunState{record.RunRunning}, Limit: 1})
	return len(running) > 0, err
}
