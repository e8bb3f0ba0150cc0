package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// isRollback reports whether d re-activated content (a rollback, by a
// person or by Gantry) rather than deployed it: a rollback has no risk
// class. Only a deployed revision has a first run that can roll it back.
func isRollback(d record.Deployment) bool { return d.Risk == "" }

// firstRunFailure returns the failed first run of revision hash in env,
// when it failed there: the first run to finish after the latest
// deployment (not a rollback) of that revision became active. ok is false
// when that run succeeded, when none finished yet, or when the revision
// was never deployed there.
func (s *Service) firstRunFailure(ctx context.Context, pipeline, env, hash string) (run record.Run, ok bool, err error) {
	ds, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: pipeline, Env: env, Revision: hash, Limit: -1})
	if err != nil {
		return run, false, err
	}
	i := slices.IndexFunc(ds, func(d record.Deployment) bool { return !isRollback(d) && !d.ActivatedAt.IsZero() })
	if i < 0 {
		return run, false, nil
	}
	first, found, err := s.firstFinished(ctx, ds[i])
	if err != nil || !found {
		return run, false, err
	}
	return first, first.State == record.RunFailed, nil
}

// firstFinished returns the first run of d's revision in d's environment
// to finish after d became active (and, for a run without a revision,
// before d ended).
func (s *Service) firstFinished(ctx context.Context, d record.Deployment) (record.Run, bool, error) {
	env := d.Env
	runs, err := s.st.ListRuns(ctx, store.RunFilter{Pipeline: d.Pipeline, Env: &env, Since: d.ActivatedAt, Limit: -1})
	if err != nil {
		return record.Run{}, false, fmt.Errorf("runs of %s in %s: %w", d.Pipeline, d.Env, err)
	}
	var first record.Run
	found := false
	for _, r := range runs {
		if r.Env != d.Env || r.Trigger == record.TriggerStaging || !r.State.Final() {
			continue
		}
		switch {
		case r.Revision == "" && !d.EndedAt.IsZero() && !r.CreatedAt.Before(d.EndedAt):
			continue
		case r.Revision != "" && r.Revision != d.Revision:
			continue
		}
		if !found || r.FinishedAt.Before(first.FinishedAt) || (r.FinishedAt.Equal(first.FinishedAt) && r.ID < first.ID) {
			first, found = r, true
		}
	}
	return first, found, nil
}

// rollbackTarget is the revision a rollback without --to goes to: the
// newest revision active in env before cur that is not cur's and did not
// fail its first run there. skipped lists those passed over for that.
func (s *Service) rollbackTarget(ctx context.Context, cur record.Deployment) (target string, skipped []string, err error) {
	ds, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: cur.Pipeline, Env: cur.Env, Limit: -1})
	if err != nil {
		return "", nil, err
	}
	ds = slices.DeleteFunc(ds, func(d record.Deployment) bool { return d.ActivatedAt.IsZero() || d.ID == cur.ID })
	slices.SortStableFunc(ds, func(a, b record.Deployment) int { return b.ActivatedAt.Compare(a.ActivatedAt) })
	seen := map[string]bool{cur.Revision: true}
	for _, d := range ds {
		if seen[d.Revision] {
			continue
		}
		seen[d.Revision] = true
		_, failed, err := s.firstRunFailure(ctx, cur.Pipeline, cur.Env, d.Revision)
		if err != nil {
			return "", nil, err
		}
		if !failed {
			return d.Revision, skipped, nil
		}
		skipped = append(skipped, Short(d.Revision))
	}
	return "", skipped, nil
}
