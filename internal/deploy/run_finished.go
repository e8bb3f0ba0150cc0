package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Rollback is an automatic rollback RunFinished did; the server raises an
// alert from it.
type Rollback struct {
	Pipeline   string
	Env        string
	RunID      int64             // the failed run
	From       string            // the revision rolled back
	To         string            // the revision active again
	Deployment record.Deployment // the new active deployment, of To
	Replaced   int64             // the deployment now rolled_back
	Reason     string
}

// String says what happened, for an alert or a log line.
func (r *Rollback) String() string {
	return fmt.Sprintf("%s in %s rolled back from %s to %s: %s", r.Pipeline, r.Env, Short(r.From), Short(r.To), r.Reason)
}

// PolicyPreviousRevision is the rollback policy RunFinished acts on.
const PolicyPreviousRevision = "previous_revision"

// RunFinished is called with every run that reached a final state.
//
// A staging run (trigger record.TriggerStaging) is recorded on its
// revision — run.Revision, or the revision whose staging run it is — and
// the pending deployments of that content are activated when it was their
// last gate.
//
// A failed run in a production environment that is the first finished
// run of the revision active there since it became active, when that
// revision's pipeline says `rollback: {on_first_run_failure:
// previous_revision}`, re-activates the revision it replaced; the failed
// deployment becomes rolled_back, the audit log records it with actor
// "gantry", and the returned Rollback says what happened. It does so at
// most once per deployment, and only for a deployment that brought its
// revision (never one a rollback re-activated: that would flip back and
// forth), and never to a revision that failed its own first run there.
// Otherwise the result is nil. A run without a Revision is taken to run the revision
// active when it was created.
func (s *Service) RunFinished(ctx context.Context, run record.Run) (*Rollback, error) {
	if !run.State.Final() {
		return nil, nil
	}
	if run.Trigger == record.TriggerStaging {
		hash, err := s.stagingRevision(ctx, run)
		if err != nil || hash == "" {
			return nil, err
		}
		return nil, s.recordStaging(ctx, hash, run)
	}
	// A release that cannot be recorded does not keep a failed revision
	// in place: the rollback goes on, and both errors are reported.
	relErr := s.recordRelease(ctx, run)
	if run.State != record.RunFailed || run.Env == "" {
		return nil, relErr
	}
	rb, err := s.autoRollback(ctx, run)
	return rb, errors.Join(relErr, err)
}

// stagingRevision finds the revision a staging run tested: "" when none.
func (s *Service) stagingRevision(ctx context.Context, run record.Run) (string, error) {
	if run.Revision != "" {
		return run.Revision, nil
	}
	revs, err := s.st.ListRevisions(ctx, run.Pipeline, -1)
	if err != nil {
		return "", err
	}
	for _, r := range revs {
		if r.StagingRunID == run.ID {
			return r.Hash, nil
		}
	}
	return "", nil
}

func (s *Service) autoRollback(ctx context.Context, run record.Run) (*Rollback, error) {
	cur, err := s.st.ActiveDeployment(ctx, run.Pipeline, run.Env)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if isRollback(cur) {
		return nil, nil // re-activated content: its first run proves nothing new
	}
	if run.Revision != cur.Revision && (run.Revision != "" || run.CreatedAt.Before(cur.ActivatedAt)) {
		return nil, nil
	}
	b, err := s.bundle(ctx, cur.Revision)
	if err != nil {
		return nil, err
	}
	proj, p, err := parseBundle(b)
	if err != nil {
		return nil, err
	}
	if !isProduction(proj, run.Env) || p.Rollback.OnFirstRunFailure != PolicyPreviousRevision || cur.Previous == "" {
		return nil, nil
	}
	first, err := s.firstRun(ctx, run, cur)
	if err != nil || !first {
		return nil, err
	}
	if _, failed, err := s.firstRunFailure(ctx, run.Pipeline, run.Env, cur.Previous); err != nil || failed {
		return nil, err // never back to a revision that failed there too
	}
	reason := fmt.Sprintf("run %d, the first of revision %s in %s, failed: %s", run.ID, Short(cur.Revision), run.Env, run.Error)
	d, err := s.rollBack(ctx, cur, cur.Previous, ActorGantry, record.AuditAutoRollback, reason)
	if errors.Is(err, store.ErrConflict) {
		return nil, nil // another deployment became active meanwhile
	}
	if err != nil {
		return nil, err
	}
	return &Rollback{Pipeline: run.Pipeline, Env: run.Env, RunID: run.ID, From: cur.Revision,
		To: cur.Previous, Deployment: d, Replaced: cur.ID, Reason: reason}, nil
}

// firstRun reports whether run is the first run of cur's revision in its
// environment to finish since cur became active.
func (s *Service) firstRun(ctx context.Context, run record.Run, cur record.Deployment) (bool, error) {
	runs, err := s.st.ListRuns(ctx, store.RunFilter{Pipeline: run.Pipeline, Since: cur.ActivatedAt, Limit: -1})
	if err != nil {
		return false, err
	}
	for _, r := range runs {
		if r.ID == run.ID || r.Env != run.Env || r.Trigger == record.TriggerStaging || !r.State.Final() {
			continue
		}
		if r.Revision != "" && r.Revision != cur.Revision {
			continue
		}
		if r.FinishedAt.Before(run.FinishedAt) || (r.FinishedAt.Equal(run.FinishedAt) && r.ID < run.ID) {
			return false, nil
		}
	}
	return true, nil
}
