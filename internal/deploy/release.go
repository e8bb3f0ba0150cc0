package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// recordRelease records what run, which ended in its environment, shipped
// there: a run of a deployed revision whose pipeline has tasks into that
// environment, and at least one of them ran. Its params, every figure its
// tasks reported, who started it and who approved it are kept; it
// succeeded when the run did. A release already recorded for the run is
// left as it is.
func (s *Service) recordRelease(ctx context.Context, run record.Run) error {
	if run.Env == "" || run.Revision == "" || run.Trigger == record.TriggerStaging {
		return nil
	}
	b, err := s.bundle(ctx, run.Revision)
	if err != nil {
		return err
	}
	p, err := spec.ParsePipeline(b.File, b.Files[b.File])
	if err != nil {
		return fmt.Errorf("release of run %d: %w", run.ID, err)
	}
	var into []string
	for _, t := range p.Tasks {
		if t.Environment == run.Env {
			into = append(into, t.ID)
		}
	}
	if len(into) == 0 {
		return nil
	}
	attempts, err := s.st.ListAttempts(ctx, run.ID, "")
	if err != nil {
		return err
	}
	shipped := false
	last := map[string]record.TaskAttempt{}
	for _, a := range attempts {
		last[a.Task] = a
		if slices.Contains(into, a.Task) {
			shipped = true
		}
	}
	if !shipped {
		return nil // it never reached the environment
	}
	rel := &record.Release{Pipeline: run.Pipeline, Env: run.Env, RunID: run.ID, Revision: run.Revision,
		Kind: record.ReleaseDeploy, Succeeded: run.State == record.RunSucceeded, Params: run.Params,
		TriggeredBy: run.TriggeredBy, CreatedAt: run.FinishedAt, RollbackTo: run.RollbackTo}
	if run.Trigger == record.TriggerRollback {
		rel.Kind = record.ReleaseRollback
	}
	for _, t := range p.Tasks {
		if a, ok := last[t.ID]; ok && a.State == record.TaskSucceeded {
			if t.Kind == spec.KindApproval {
				continue // who approved is below, from the decisions
			}
			for _, o := range a.Outputs {
				rel.Outputs = append(rel.Outputs, record.TaskOutput{Task: t.ID, Key: o.Key, Value: o.Value})
			}
		}
	}
	aps, err := s.st.ListTaskApprovals(ctx, run.ID)
	if err != nil {
		return err
	}
	for _, ap := range aps {
		if ap.State != record.ApprovalApproved {
			continue
		}
		for _, who := range ap.Approved {
			if !slices.Contains(rel.ApprovedBy, who) {
				rel.ApprovedBy = append(rel.ApprovedBy, who)
			}
		}
	}
	if run.RollbackTo != 0 {
		// What the tasks skipped by the rollback reported when the
		// release shipped again was made.
		if prev, err := s.st.GetRelease(ctx, run.RollbackTo); err == nil {
			var seeded []record.TaskOutput
			for _, o := range prev.Outputs {
				if a, ok := last[o.Task]; !ok || a.State != record.TaskSucceeded {
					seeded = append(seeded, o)
				}
			}
			rel.Outputs = append(seeded, rel.Outputs...)
		}
	}
	state := "succeeded"
	if !rel.Succeeded {
		state = "failed"
	}
	ev := &record.AuditEvent{Time: s.now(), Actor: "gantry", Action: record.AuditRelease, Pipeline: run.Pipeline,
		Env: run.Env, Revision: run.Revision, Detail: fmt.Sprintf("run %d %s", run.ID, state)}
	if err := s.st.CreateRelease(ctx, rel, ev); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// Releases lists a pipeline's releases into env, newest first.
func (s *Service) Releases(ctx context.Context, pipeline, env string, limit int) ([]record.Release, error) {
	if pipeline == "" || env == "" {
		return nil, fmt.Errorf("%w: releases need a pipeline and an environment", ErrInvalid)
	}
	return s.st.ListReleases(ctx, pipeline, env, limit)
}
