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
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

var _ api.Service = (*Server)(nil)

// maxBackfill caps the runs one backfill may create.
const maxBackfill = 10000

func (s *Server) pipeline(name string) (*pipeline, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pipes[name]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("pipeline %q: %w", name, store.ErrNotFound)
}

// Trigger creates a manual run; it starts as soon as there is room.
func (s *Server) Trigger(ctx context.Context, req api.TriggerRequest) (record.Run, error) {
	p, err := s.pipeline(req.Pipeline)
	if err != nil {
		return record.Run{}, err
	}
	iv, err := s.triggerInterval(p, req)
	if err != nil {
		return record.Run{}, err
	}
	er := p.request(record.TriggerManual, iv.Start, iv.End, req.Params)
	er.TriggeredBy = req.Actor
	run, err := s.eng.Create(ctx, er)
	if errors.Is(err, engine.ErrRequest) {
		return record.Run{}, fmt.Errorf("%w: %v", api.ErrInvalid, err)
	}
	if err != nil {
		return record.Run{}, err
	}
	s.log.Info("triggered", "run_id", run.ID, "pipeline", run.Pipeline, "actor", req.Actor)
	s.wake(s.wakeDispatch)
	return run, nil
}

// triggerInterval is the day asked for, the interval given, or else the
// default of a manual run (schedule.ManualInterval).
func (s *Server) triggerInterval(p *pipeline, req api.TriggerRequest) (schedule.Interval, error) {
	loc := p.location()
	switch {
	case req.Date != "" && (!req.Start.IsZero() || !req.End.IsZero()):
		return schedule.Interval{}, &api.FieldError{Field: "date", Msg: "give a date or an interval, not both"}
	case req.Date != "":
		d, err := time.ParseInLocation("2006-01-02", req.Date, loc)
		if err != nil {
			return schedule.Interval{}, &api.FieldError{Field: "date", Msg: fmt.Sprintf("%q: want YYYY-MM-DD", req.Date)}
		}
		return schedule.DayInterval(d, loc), nil
	case !req.Start.IsZero() || !req.End.IsZero():
		if !req.End.After(req.Start) {
			return schedule.Interval{}, &api.FieldError{Field: "interval_end", Msg: "must be after interval_start"}
		}
		return schedule.Interval{Start: req.Start, End: req.End}, nil
	default:
		return schedule.ManualInterval(p.spec.Schedule, time.Now())
	}
}

// Cancel cancels a run that has not ended.
func (s *Server) Cancel(ctx context.Context, runID int64, actor string) (record.Run, error) {
	run, err := s.cfg.Store.GetRun(ctx, runID)
	if err != nil {
		return record.Run{}, err
	}
	if run.State.Final() {
		return run, fmt.Errorf("run %d already %s: %w", runID, run.State, store.ErrConflict)
	}
	// Under the lock, the dispatcher cannot start the run between our look
	// at it and our writing it cancelled.
	s.mu.Lock()
	a := s.active[runID]
	if a == nil {
		err = s.cancelIdle(ctx, run)
	}
	s.mu.Unlock()
	if err != nil {
		return record.Run{}, err
	}
	if a != nil {
		a.cancelRun()
		select {
		case <-a.done:
		case <-time.After(30 * time.Second):
		case <-ctx.Done():
		}
	}
	got, err := s.cfg.Store.GetRun(ctx, runID)
	if err != nil {
		return got, err
	}
	if a != nil && got.State.Final() && got.State != record.RunCancelled {
		// It ended on its own while the cancel reached it.
		return got, fmt.Errorf("run %d %s before it could be cancelled: %w", runID, got.State, store.ErrConflict)
	}
	s.log.Info("cancelled", "run_id", runID, "actor", actor)
	return got, nil
}

// cancelIdle cancels a run no one is executing: queued, waiting, or left
// running by a server that stopped — whose attempts' processes, if still
// alive, are killed, and the attempts closed.
func (s *Server) cancelIdle(ctx context.Context, run record.Run) error {
	tasks, err := s.cfg.Store.ListRunTasks(ctx, run.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	b := &store.Batch{Run: &run}
	run.State, run.Error, run.FinishedAt = record.RunCancelled, "cancelled", now
	for _, t := range tasks {
		if !t.State.Final() {
			t.State, t.UpdatedAt, t.NextAttempt = record.TaskCancelled, now, time.Time{}
			b.Tasks = append(b.Tasks, t)
		}
	}
	atts, err := s.cfg.Store.ListAttempts(ctx, run.ID, "")
	if err != nil {
		return err
	}
	// The kinds of its tasks, when the loaded pipeline is what the run
	// ran (s.mu is held); nil: every kind is asked.
	var p *spec.Pipeline
	if pl := s.pipes[run.Pipeline]; pl != nil && pl.revision == run.Revision {
		p = pl.spec
	}
	for i := range atts {
		a := &atts[i]
		if a.State != record.TaskRunning {
			continue
		}
		if _, err := engine.ReapAttempt(ctx, s.cfg.Executors, p, *a); err != nil {
			return fmt.Errorf("kill what is left of attempt %d: %w", a.ID, err)
		}
		a.State, a.FinishedAt, a.Error = record.TaskCancelled, now, "cancelled while no server ran it"
		b.Update = append(b.Update, a)
		if err := s.cfg.Store.EndTaskApproval(ctx, a.ID, record.ApprovalCancelled, now); err != nil &&
			!errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	if err := s.cfg.Store.Apply(ctx, b); err != nil {
		return err
	}
	// No engine settles it: its throwaway environments go here. (Its
	// teardowns do not run: nothing runs a run no server executes.)
	if err := s.eng.RemoveThrowaways(run.ID); err != nil {
		s.log.Warn("remove a cancelled run's throwaway environments", "run_id", run.ID, "err", err)
	}
	return nil
}

// SetPaused pauses or resumes a pipeline's schedule and its queued runs.
func (s *Server) SetPaused(ctx context.Context, name string, paused bool, actor string) error {
	if _, err := s.pipeline(name); err != nil {
		return err
	}
	if err := s.cfg.Store.SetPaused(ctx, name, paused, actor, time.Now()); err != nil {
		return err
	}
	s.mu.Lock()
	s.paused[name] = paused
	s.mu.Unlock()
	s.log.Info("pause", "pipeline", name, "paused", paused, "actor", actor)
	s.wake(s.wakeSchedule)
	s.wake(s.wakeDispatch)
	return nil
}

// Replay re-runs a dead letter's task and everything downstream of it, in
// its original run (same interval and params), with a fresh retry budget,
// on the revision the run is pinned to (whatever is active now). When that
// revision was rolled back in the run's environment since, the replay is
// ErrConflict unless force: it would run again what was taken out.
func (s *Server) Replay(ctx context.Context, id int64, actor string, force bool) (record.Run, error) {
	dl, err := s.cfg.Store.GetDeadLetter(ctx, id)
	if err != nil {
		return record.Run{}, err
	}
	if !dl.ReplayedAt.IsZero() {
		return record.Run{}, fmt.Errorf("dead letter %d was replayed at %s by %s: %w", id, dl.ReplayedAt.Format(time.RFC3339), dl.ReplayedBy, store.ErrConflict)
	}
	run, err := s.cfg.Store.GetRun(ctx, dl.RunID)
	if err != nil {
		return record.Run{}, err
	}
	if !run.State.Final() {
		return record.Run{}, fmt.Errorf("run %d is still %s: replay it once it ends: %w", run.ID, run.State, store.ErrConflict)
	}
	forced, err := s.replayRolledBack(ctx, run, force)
	if err != nil {
		return record.Run{}, err
	}
	p := s.pipelineFor(ctx, run) // the revision it ran, when pinned to one
	if p == nil {
		return record.Run{}, fmt.Errorf("pipeline %q of run %d is not loaded: %w", run.Pipeline, run.ID, store.ErrNotFound)
	}
	g, err := p.spec.Graph()
	if err != nil {
		return record.Run{}, err
	}
	reset := map[string]bool{dl.Task: true}
	for _, d := range g.Downstream(dl.Task) {
		reset[d] = true
	}
	tasks, err := s.cfg.Store.ListRunTasks(ctx, run.ID)
	if err != nil {
		return record.Run{}, err
	}
	now := time.Now()
	b := &store.Batch{Run: &run}
	for _, t := range tasks {
		if reset[t.Task] {
			t.State, t.Attempts, t.NextAttempt, t.UpdatedAt = record.TaskPending, 0, time.Time{}, now
			b.Tasks = append(b.Tasks, t)
		}
	}
	// The run starts again: its timeout counts from now.
	run.State, run.Error, run.StartedAt, run.FinishedAt = record.RunQueued, "", time.Time{}, time.Time{}
	b.Replayed = &store.Replayed{DeadLetter: id, By: actor, At: now}
	b.Audit = []*record.AuditEvent{{
		Time: now, Actor: actor, Action: record.AuditReplay, Pipeline: run.Pipeline, Env: run.Env, Revision: run.Revision,
		Reason: fmt.Sprintf("dead letter %d", id), Detail: replayDetail(dl.Task, run.ID, run.Revision, forced),
	}}
	if err := s.cfg.Store.Apply(ctx, b); err != nil {
		return record.Run{}, err
	}
	s.log.Info("replay", "dead_letter", id, "run_id", run.ID, "task", dl.Task, "actor", actor)

	s.wake(s.wakeDispatch)
	return run, nil
}

// replayRolledBack refuses, unless force, to replay run on a revision
// that was rolled back in its environment: the newest deployment of that
// revision there ended rolled_back (a later deploy of the same revision,
// active or superseded normally, clears it). forced says that force let
// such a replay through.
func (s *Server) replayRolledBack(ctx context.Context, run record.Run, force bool) (forced bool, err error) {
	if run.Revision == "" {
		return false, nil
	}
	ds, err := s.cfg.Store.ListDeployments(ctx, store.DeploymentFilter{
		Pipeline: run.Pipeline, Env: run.Env, Revision: run.Revision, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("deployments of revision %s: %w", short(run.Revision), err)
	}
	if len(ds) == 0 || ds[0].State != record.DeploymentRolledBack {
		return false, nil
	}
	if force {
		return true, nil
	}
	d := ds[0]
	why := ""
	if d.Reason != "" {
		why = " (" + d.Reason + ")"
	}
	return false, fmt.Errorf("run %d is pinned to revision %s of %s, which was rolled back in %s at %s%s: "+
		"replaying would run it again; pass --force to replay it on that revision anyway: %w",
		run.ID, short(run.Revision), run.Pipeline, run.Env, d.EndedAt.UTC().Format(time.RFC3339), why, store.ErrConflict)
}

func replayDetail(task string, runID int64, rev string, force bool) string {
	d := fmt.Sprintf("task %s and its downstream in run %d", task, runID)
	if rev != "" {
		d += " on its pinned revision " + short(rev)
	}
	if force {
		d += ", forced past its rollback"
	}
	return d
}

// Store reads, passed through.

// ListRuns lists runs.
func (s *Server) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	return s.cfg.Store.ListRuns(ctx, f)
}

// GetRun returns a run and its tasks.
func (s *Server) GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error) {
	run, err := s.cfg.Store.GetRun(ctx, id)
	if err != nil {
		return record.Run{}, nil, err
	}
	tasks, err := s.cfg.Store.ListRunTasks(ctx, id)
	return run, tasks, err
}

// ListAttempts lists a run's attempts.
func (s *Server) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	if _, err := s.cfg.Store.GetRun(ctx, runID); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListAttempts(ctx, runID, task)
}

// ListDeadLetters lists dead letters.
func (s *Server) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	return s.cfg.Store.ListDeadLetters(ctx, f)
}

// GetDeadLetter returns one dead letter.
func (s *Server) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	return s.cfg.Store.GetDeadLetter(ctx, id)
}
