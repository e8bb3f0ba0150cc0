package server

import (
	"context"
	"errors"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/store"
)

// scheduleLoop creates a run for every due cron interval and sleeps until
// the next tick of any pipeline.
func (s *Server) scheduleLoop(ctx context.Context) {
	s.scheduling.Store(true)
	defer s.scheduling.Store(false)
	for {
		next := s.scheduleDue(ctx, time.Now())
		wait := time.Until(next)
		if next.IsZero() || wait > time.Hour {
			wait = time.Hour // a reload or resume wakes it anyway
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.wakeSchedule:
			t.Stop()
		}
	}
}

// maxCatchup caps the missed intervals one pipeline catches up at once.
const maxCatchup = 1000

type dueRun struct {
	p        *pipeline
	interval schedule.Interval
}

// scheduleDue creates the runs due at now and returns the next tick.
func (s *Server) scheduleDue(ctx context.Context, now time.Time) time.Time {
	var (
		due  []dueRun
		next time.Time
	)
	// A pipeline paused or resumed through another server sharing the
	// store is in the store, not in this one's memory.
	states, err := s.cfg.Store.ListPipelineStates(ctx)
	s.mu.Lock()
	for _, ps := range states {
		s.paused[ps.Pipeline] = ps.Paused
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("read paused pipelines; using the last known", "err", err)
	}
	for name, p := range s.pipes {
		if p.sched == nil {
			continue
		}
		if n := p.sched.Next(now); next.IsZero() || n.Before(next) {
			next = n
		}
		if s.paused[name] {
			continue
		}
		catchup := ""
		if p.spec.Schedule != nil {
			catchup = p.spec.Schedule.Catchup
		}
		ivs := p.sched.Due(s.cursors[name], now, catchup, s.cfg.CatchupGrace)
		if len(ivs) > maxCatchup {
			s.log.Warn("catch-up: too many missed intervals; scheduling the newest only (backfill the rest)",
				"pipeline", name, "missed", len(ivs), "scheduled", maxCatchup, "oldest_skipped", ivs[0].Start)
			ivs = ivs[len(ivs)-maxCatchup:]
		}
		for _, iv := range ivs {
			due = append(due, dueRun{p: p, interval: iv})
		}
	}
	s.mu.Unlock()

	created := false
	for _, d := range due {
		_, err := s.eng.Create(ctx, d.p.request(record.TriggerSchedule, d.interval.Start, d.interval.End, nil))
		switch {
		case err == nil:
			created = true
			s.log.Info("scheduled", "pipeline", d.p.spec.Name, "interval_start", d.interval.Start, "interval_end", d.interval.End)
		case errors.Is(err, store.ErrConflict):
			// Already scheduled, by us before a crash or by another scheduler.
		case ctx.Err() != nil:
			return next // stopping (this process stopped leading): the cursor stays
		case errors.Is(err, store.ErrFenced):
			// This process no longer leads: whoever does schedules it.
			s.log.Warn("not scheduled: no longer the leader", "pipeline", d.p.spec.Name, "interval_start", d.interval.Start)
			return next
		default:
			s.log.Error("schedule run", "pipeline", d.p.spec.Name, "interval_start", d.interval.Start, "err", err)
			continue // retried at the next wake: the cursor stays
		}
		s.mu.Lock()
		if d.interval.End.After(s.cursors[d.p.spec.Name]) {
			s.cursors[d.p.spec.Name] = d.interval.End
		}
		s.mu.Unlock()
	}
	if created {
		s.wake(s.wakeDispatch)
	}
	return next
}
