package server

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The metrics' scrape-time gauges.

// QueueDepth is the number of runs queued or waiting for an upstream.
func (s *Server) QueueDepth() int {
	n, err := s.cfg.Store.CountWaiting(context.Background())
	if err != nil {
		return 0
	}
	return n
}

// RunningTasks is the number of task attempts in flight.
func (s *Server) RunningTasks() int { return int(s.running.Load()) }

// DeadLetters is the number of dead letters not yet replayed.
func (s *Server) DeadLetters() int {
	dls, err := s.cfg.Store.ListDeadLetters(context.Background(), store.DeadLetterFilter{Unreplayed: true, Limit: 100000})
	if err != nil {
		return 0
	}
	return len(dls)
}

// LastSuccess maps each pipeline and each environment it runs in to the
// end of its newest succeeded run's interval there. The environments are
// the server's own (its --env, "" for the working tree) and those
// gantry.yaml declares, where staging runs run.
func (s *Server) LastSuccess() map[string]map[string]time.Time {
	s.mu.Lock()
	names := make([]string, 0, len(s.pipes))
	for n := range s.pipes {
		names = append(names, n)
	}
	envs := []string{s.cfg.Env}
	if s.project != nil {
		for _, e := range s.project.Environments {
			if e.Name != s.cfg.Env {
				envs = append(envs, e.Name)
			}
		}
	}
	s.mu.Unlock()
	out := make(map[string]map[string]time.Time, len(names))
	for _, n := range names {
		for _, env := range envs {
			runs, err := s.cfg.Store.ListRuns(context.Background(), store.RunFilter{
				Pipeline: n, Env: &env, States: []record.RunState{record.RunSucceeded}, Limit: 1})
			if err != nil || len(runs) == 0 {
				continue
			}
			if out[n] == nil {
				out[n] = map[string]time.Time{}
			}
			out[n][env] = runs[0].IntervalEnd
		}
	}
	return out
}
