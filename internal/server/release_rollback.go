package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// RollbackRelease queues a run that ships an earlier release of a
// delivery pipeline into this server's environment again: req.To, or the
// newest succeeded release before the latest. The run has that release's
// params; its tasks into the environment, and those after them, run on
// the revision active now; the ones before are skipped, and what they
// reported then stands ({{ .Outputs.T.K }}). Its end records a release of
// kind rollback.
func (s *Server) RollbackRelease(ctx context.Context, req api.ReleaseRollbackRequest) (record.Run, error) {
	p, err := s.pipeline(req.Pipeline)
	if err != nil {
		return record.Run{}, err
	}
	if s.cfg.Env == "" || req.Env != s.cfg.Env {
		runs := "the working tree"
		if s.cfg.Env != "" {
			runs = "environment " + s.cfg.Env
		}
		return record.Run{}, &api.FieldError{Field: "env", Msg: fmt.Sprintf("this server runs %s: roll %s back through the server of %s (gantry serve --env %s)", runs, req.Env, req.Env, req.Env)}
	}
	rels, err := s.cfg.Store.ListReleases(ctx, req.Pipeline, req.Env, 200)
	if err != nil {
		return record.Run{}, err
	}
	var to *record.Release
	for i := range rels {
		r := &rels[i]
		if req.To != 0 && r.ID == req.To {
			to = r
			break
		}
		// By default the newest good one that ships something other
		// than the latest (a rollback to a rollback's release would
		// ship what runs now again).
		if req.To == 0 && i > 0 && r.Succeeded && !sameRelease(*r, rels[0]) {
			to = r
			break
		}
	}
	switch {
	case to == nil && req.To != 0:
		return record.Run{}, fmt.Errorf("%s has no release %d in %s (gantry releases %s --env %s): %w", req.Pipeline, req.To, req.Env, req.Pipeline, req.Env, store.ErrNotFound)
	case to == nil:
		return record.Run{}, fmt.Errorf("%s has no succeeded release in %s before its latest to go back to: %w", req.Pipeline, req.Env, store.ErrConflict)
	case !to.Succeeded:
		return record.Run{}, fmt.Errorf("release %d of %s failed in %s: roll back to one that succeeded: %w", to.ID, req.Pipeline, req.Env, store.ErrConflict)
	}
	iv, err := s.triggerInterval(p, api.TriggerRequest{})
	if err != nil {
		return record.Run{}, err
	}
	er := p.request(record.TriggerRollback, iv.Start, iv.End, to.Params)
	er.TriggeredBy, er.RollbackTo, er.Seed = req.Actor, to.ID, to.Outputs
	run, err := s.eng.Create(ctx, er)
	if errors.Is(err, engine.ErrRequest) {
		return record.Run{}, fmt.Errorf("%w: %v", api.ErrInvalid, err)
	}
	if err != nil {
		return record.Run{}, err
	}
	if err := s.cfg.Store.AppendAudit(ctx, &record.AuditEvent{Actor: req.Actor, Action: record.AuditReleaseRollback,
		Pipeline: req.Pipeline, Env: req.Env, Revision: p.revision, Reason: req.Reason,
		Detail: fmt.Sprintf("run %d ships release %d (run %d) again", run.ID, to.ID, to.RunID)}); err != nil {
		return run, err
	}
	s.log.Info("release rollback queued", "run_id", run.ID, "pipeline", req.Pipeline, "env", req.Env, "release", to.ID, "actor", req.Actor)
	s.wake(s.wakeDispatch)
	return run, nil
}

// seedRollback gives a rollback run what its release reported.
func (s *Server) seedRollback(ctx context.Context, req *engine.Request, run record.Run) error {
	if run.RollbackTo == 0 {
		return nil
	}
	rel, err := s.cfg.Store.GetRelease(ctx, run.RollbackTo)
	if err != nil {
		return fmt.Errorf("the release run %d rolls back to: %w", run.ID, err)
	}
	req.RollbackTo, req.Seed = rel.ID, rel.Outputs
	return nil
}

// autoReleaseRollback ships the previous good release again when run, a
// deployed run of a pipeline with rollback.on_failure: previous_release,
// failed after it reached its environment's tasks (its release is
// recorded failed). A rollback run that fails is not rolled back again.
func (s *Server) autoReleaseRollback(ctx context.Context, run record.Run) {
	if run.State != record.RunFailed || run.Trigger == record.TriggerRollback || run.Env == "" || run.Env != s.cfg.Env {
		return
	}
	p, err := s.pipeline(run.Pipeline)
	if err != nil || p.spec.Rollback.OnFailure != "previous_release" {
		return
	}
	rels, err := s.cfg.Store.ListReleases(ctx, run.Pipeline, run.Env, 1)
	if err != nil {
		s.log.Error("release rollback: list releases", "run_id", run.ID, "err", err)
		return
	}
	if len(rels) == 0 || rels[0].RunID != run.ID || rels[0].Succeeded {
		return // it never reached the environment: nothing shipped to undo
	}
	back, err := s.RollbackRelease(ctx, api.ReleaseRollbackRequest{Pipeline: run.Pipeline, Env: run.Env, Actor: "gantry",
		Reason: fmt.Sprintf("run %d failed after it shipped release %d: %s", run.ID, rels[0].ID, run.Error)})
	if err != nil {
		s.log.Error("automatic release rollback", "run_id", run.ID, "err", err)
		s.raiseRolledBack(ctx, run, fmt.Sprintf("release %d failed and could not be rolled back: %v", rels[0].ID, err),
			fmt.Sprintf("run %d in %s ended %s: %s", run.ID, envName(run.Env), run.State, run.Error))
		return
	}
	s.log.Warn("automatic release rollback", "pipeline", run.Pipeline, "env", run.Env, "run_id", run.ID, "rollback_run", back.ID, "to_release", back.RollbackTo)
	s.raiseRolledBack(ctx, run, fmt.Sprintf("release %d failed; run %d ships release %d again", rels[0].ID, back.ID, back.RollbackTo),
		fmt.Sprintf("run %d in %s ended %s after it shipped release %d: %s", run.ID, envName(run.Env), run.State, rels[0].ID, run.Error))
}

// sameRelease reports whether a and b shipped the same: the same params
// and the same figures.
func sameRelease(a, b record.Release) bool {
	return maps.Equal(a.Params, b.Params) && slices.Equal(a.Outputs, b.Outputs)
}
