package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Revision returns pipeline's revision whose hash is ref or starts with
// it (at least 4 characters). ErrNotFound when none; ErrInvalid when the
// prefix is ambiguous.
func (s *Service) Revision(ctx context.Context, pipeline, ref string) (record.Revision, error) {
	if rev, err := s.st.GetRevision(ctx, ref); err == nil && rev.Pipeline == pipeline {
		return rev, nil
	}
	if len(ref) < 4 {
		return record.Revision{}, fmt.Errorf("%w: revision %q: give at least 4 characters of its hash", ErrInvalid, ref)
	}
	revs, err := s.st.ListRevisions(ctx, pipeline, -1)
	if err != nil {
		return record.Revision{}, err
	}
	var found []record.Revision
	for _, r := range revs {
		if strings.HasPrefix(r.Hash, strings.ToLower(ref)) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return record.Revision{}, fmt.Errorf("%w: %s has no revision %s (see gantry revisions %s)", ErrNotFound, pipeline, ref, pipeline)
	case 1:
		return found[0], nil
	}
	return record.Revision{}, fmt.Errorf("%w: revision %s of %s is ambiguous: give more of its hash", ErrInvalid, ref, pipeline)
}

// Revisions returns a pipeline's revisions newest first; limit as in
// store.DeployStore.ListRevisions.
func (s *Service) Revisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error) {
	return s.st.ListRevisions(ctx, pipeline, limit)
}

// Deployments returns the deployments f selects, newest first.
func (s *Service) Deployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error) {
	return s.st.ListDeployments(ctx, f)
}

// Deployment returns one deployment, its approvals and, when it is
// pending, what it waits for.
func (s *Service) Deployment(ctx context.Context, id int64) (record.Deployment, []record.Approval, []string, error) {
	d, err := s.st.GetDeployment(ctx, id)
	if err != nil {
		return d, nil, nil, fmt.Errorf("deployment %d: %w", id, err)
	}
	as, err := s.st.ListApprovals(ctx, id)
	if err != nil {
		return d, nil, nil, err
	}
	var waiting []string
	if d.State == record.DeploymentPending {
		if waiting, err = s.waiting(ctx, d, false); err != nil {
			return d, nil, nil, err
		}
	}
	return d, as, waiting, nil
}

// Audit returns audit events oldest first.
func (s *Service) Audit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error) {
	return s.st.ListAudit(ctx, f)
}

// ActiveRevision is what runs in one environment.
type ActiveRevision struct {
	Deployment record.Deployment
	Revision   record.Revision
	// Bundle is the revision's content. To run it, Materialize it into a
	// folder and Load it there: its Pipeline's paths are then that
	// folder's.
	Bundle   *Bundle
	Project  *spec.Project  // parsed from the bundle; paths relative
	Pipeline *spec.Pipeline // parsed from the bundle; paths relative
}

// Active returns what pipeline runs in env, or ErrNotFound when nothing
// was deployed there.
func (s *Service) Active(ctx context.Context, pipeline, env string) (*ActiveRevision, error) {
	d, err := s.st.ActiveDeployment(ctx, pipeline, env)
	if err != nil {
		return nil, fmt.Errorf("nothing of %s is active in %s: %w", pipeline, env, err)
	}
	a := &ActiveRevision{Deployment: d}
	if a.Revision, err = s.st.GetRevision(ctx, d.Revision); err != nil {
		return nil, err
	}
	if a.Bundle, err = s.bundle(ctx, d.Revision); err != nil {
		return nil, err
	}
	if a.Project, a.Pipeline, err = parseBundle(a.Bundle); err != nil {
		return nil, err
	}
	return a, nil
}

// Diff compares the revision active in env with revision to of pipeline
// (a hash or prefix; "" means its newest revision).
func (s *Service) Diff(ctx context.Context, pipeline, env, to string) (*Diff, error) {
	var rev record.Revision
	var err error
	if to != "" {
		rev, err = s.Revision(ctx, pipeline, to)
	} else {
		var revs []record.Revision
		if revs, err = s.st.ListRevisions(ctx, pipeline, 1); err == nil && len(revs) == 0 {
			err = fmt.Errorf("%w: %s has no revisions", ErrNotFound, pipeline)
		}
		if err == nil {
			rev = revs[0]
		}
	}
	if err != nil {
		return nil, err
	}
	b, err := s.bundle(ctx, rev.Hash)
	if err != nil {
		return nil, err
	}
	return s.DiffBundle(ctx, b, env)
}

// DiffBundle compares the revision active in env with b: what deploying b
// there would change.
func (s *Service) DiffBundle(ctx context.Context, b *Bundle, env string) (*Diff, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	var from *Bundle
	d, err := s.st.ActiveDeployment(ctx, b.Pipeline, env)
	switch {
	case err == nil:
		if from, err = s.bundle(ctx, d.Revision); err != nil {
			return nil, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return Compare(from, b)
}

// ActiveRevisions maps each pipeline with an active deployment in env to
// the content hash of its revision.
func (s *Service) ActiveRevisions(ctx context.Context, env string) (map[string]string, error) {
	ds, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Env: env,
		States: []record.DeploymentState{record.DeploymentActive}, Limit: -1})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ds))
	for _, d := range ds {
		out[d.Pipeline] = d.Revision
	}
	return out, nil
}

// Materialize writes the files of revision hash, context included, into
// dir; see the package function Materialize.
func (s *Service) Materialize(ctx context.Context, hash, dir string) error {
	b, err := s.bundle(ctx, hash)
	if err != nil {
		return fmt.Errorf("revision %s: %w", Short(hash), err)
	}
	return Materialize(b, dir)
}

// DiffRevisions compares revision from with revision to (content hashes):
// what a deployment from one to the other changed. An empty from is a
// pipeline's first deployment.
func (s *Service) DiffRevisions(ctx context.Context, from, to string) (*Diff, error) {
	b, err := s.bundle(ctx, to)
	if err != nil {
		return nil, err
	}
	var prev *Bundle
	if from != "" {
		if prev, err = s.bundle(ctx, from); err != nil {
			return nil, err
		}
	}
	return Compare(prev, b)
}
