package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Readiness assesses pipeline in env (see internal/readiness). Its
// subject is the revision waiting there (the newest pending deployment),
// else the one active there, else the pipeline's newest revision — what
// a promotion would bring. ErrNotFound when the pipeline has no revision.
func (s *Service) Readiness(ctx context.Context, pipeline, env string) (*readiness.Report, error) {
	if pipeline == "" || env == "" {
		return nil, fmt.Errorf("%w: readiness needs a pipeline and an environment", ErrInvalid)
	}
	rev, subject, err := s.subject(ctx, pipeline, env)
	if err != nil {
		return nil, err
	}
	return s.assess(ctx, rev, env, subject)
}

// ReadinessAll assesses, in env, every pipeline that has a deployment in
// any environment, by name.
func (s *Service) ReadinessAll(ctx context.Context, env string) ([]*readiness.Report, error) {
	if env == "" {
		return nil, fmt.Errorf("%w: readiness needs an environment", ErrInvalid)
	}
	ds, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Limit: -1})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range ds {
		if !slices.Contains(names, d.Pipeline) {
			names = append(names, d.Pipeline)
		}
	}
	slices.Sort(names)
	out := []*readiness.Report{}
	for _, name := range names {
		r, err := s.Readiness(ctx, name, env)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Sizing works out the resource sizing of pipeline's tasks in env from
// their recorded attempts (the last last succeeded ones per task; 0 means
// readiness.DefaultSizingLast), with the limits of the revision
// Readiness would assess. A pipeline with no run in env is sized from
// that revision's staging run, and says so.
func (s *Service) Sizing(ctx context.Context, pipeline, env string, last int) (*readiness.Sizing, error) {
	if pipeline == "" || env == "" {
		return nil, fmt.Errorf("%w: sizing needs a pipeline and an environment", ErrInvalid)
	}
	if last < 0 {
		return nil, fmt.Errorf("%w: sizing: --last must be positive, got %d", ErrInvalid, last)
	}
	rev, _, err := s.subject(ctx, pipeline, env)
	if err != nil {
		return nil, err
	}
	b, err := s.bundle(ctx, rev.Hash)
	if err != nil {
		return nil, err
	}
	proj, p, err := parseBundle(b)
	if err != nil {
		return nil, err
	}
	if _, ok := policyOf(proj, p, env); !ok {
		return nil, fmt.Errorf("%w: unknown environment %q: %s declares %s", ErrInvalid, env, spec.ProjectFile, orNone(envNames(proj, p)))
	}
	return readiness.Size(ctx, s.st, readiness.SizingInput{Pipeline: p, Env: env, StagingRunID: rev.StagingRunID, Last: last})
}

// subject is the revision Readiness assesses and how it was chosen.
func (s *Service) subject(ctx context.Context, pipeline, env string) (record.Revision, string, error) {
	pending, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: pipeline, Env: env,
		States: []record.DeploymentState{record.DeploymentPending}, Limit: 1})
	if err != nil {
		return record.Revision{}, "", err
	}
	var hash, subject string
	switch a, aerr := s.st.ActiveDeployment(ctx, pipeline, env); {
	case len(pending) > 0:
		hash, subject = pending[0].Revision, fmt.Sprintf("pending deployment %d", pending[0].ID)
	case aerr == nil:
		hash, subject = a.Revision, fmt.Sprintf("active deployment %d", a.ID)
	case !errors.Is(aerr, store.ErrNotFound):
		return record.Revision{}, "", aerr
	default:
		revs, err := s.st.ListRevisions(ctx, pipeline, 1)
		if err != nil {
			return record.Revision{}, "", err
		}
		if len(revs) == 0 {
			return record.Revision{}, "", fmt.Errorf("%w: pipeline %s has no revision: deploy it to a staging environment first", ErrNotFound, pipeline)
		}
		hash, subject = revs[0].Hash, "newest revision, not deployed to "+env
	}
	rev, err := s.st.GetRevision(ctx, hash)
	return rev, subject, err
}

// assess runs the gate over rev for env and assesses it.
func (s *Service) assess(ctx context.Context, rev record.Revision, env, subject string) (*readiness.Report, error) {
	b, err := s.bundle(ctx, rev.Hash)
	if err != nil {
		return nil, err
	}
	rep, err := s.gate(ctx, b, env)
	if err != nil {
		return nil, err
	}
	return s.assessBundle(ctx, b, rev, env, subject, rep)
}

func (s *Service) assessBundle(ctx context.Context, b *Bundle, rev record.Revision, env, subject string, rep *check.Report) (*readiness.Report, error) {
	proj, p, err := parseBundle(b)
	if err != nil {
		return nil, err
	}
	in := readiness.Input{Project: proj, Pipeline: p, Env: env, Revision: rev, Subject: subject, Gate: rep, Now: s.now()}
	if p.Runbook != "" {
		if data, ok := b.Files[path.Clean(strings.TrimPrefix(p.Runbook, "./"))]; ok {
			in.Runbook = data
		}
	}
	return readiness.Assess(ctx, s.st, in)
}

// ReassessEvery is how often a server judges again the readiness of the
// deployments that wait for it (ReassessPending), besides right after a
// test-fire.
const ReassessEvery = 30 * time.Second

// readinessWaiting says what the readiness gate of pending deployment d
// waits for; nil when READY. With attach it assesses d now and attaches
// the report; without (a read), it goes by the report attached last,
// assessing without storing only when none is.
func (s *Service) readinessWaiting(ctx context.Context, d record.Deployment, attach bool) ([]string, error) {
	var r *readiness.Report
	var err error
	if !attach {
		r, err = s.DeploymentReadiness(ctx, d.ID)
	}
	switch {
	case err != nil:
		return nil, err
	case r != nil:
	case attach:
		r, err = s.attachReadiness(ctx, d)
	default:
		var rev record.Revision
		if rev, err = s.st.GetRevision(ctx, d.Revision); err == nil {
			r, err = s.assess(ctx, rev, d.Env, fmt.Sprintf("deployment %d", d.ID))
		}
	}
	if err != nil {
		return nil, err
	}
	if r.Ready {
		return nil, nil
	}
	return []string{fmt.Sprintf("readiness: %s in %s is NOT READY: %s (gantry readiness %s --env %s; once fixed, the server judges it again within %s and activates it when its other gates are met)",
		d.Pipeline, d.Env, strings.Join(r.Reasons, "; "), d.Pipeline, d.Env, ReassessEvery)}, nil
}

// ReassessPending judges again every pending deployment with the
// readiness gate, attaching a fresh report to each, and activates those
// whose gates are now all met. It returns how many it activated.
func (s *Service) ReassessPending(ctx context.Context) (int, error) {
	pending, err := s.st.ListDeployments(ctx, store.DeploymentFilter{
		States: []record.DeploymentState{record.DeploymentPending}, Limit: -1})
	if err != nil {
		return 0, err
	}
	activated := 0
	var errs []error
	for _, d := range pending {
		if !slices.Contains(d.Gates, spec.GateReadiness) {
			continue
		}
		cur, _, err := s.advance(ctx, d, ActorGantry)
		if err != nil {
			errs = append(errs, fmt.Errorf("deployment %d: %w", d.ID, err))
			continue
		}
		if cur.State == record.DeploymentActive {
			activated++
		}
	}
	return activated, errors.Join(errs...)
}

// attachReadiness assesses deployment d's revision in its environment
// and attaches the report to it.
func (s *Service) attachReadiness(ctx context.Context, d record.Deployment) (*readiness.Report, error) {
	rev, err := s.st.GetRevision(ctx, d.Revision)
	if err != nil {
		return nil, err
	}
	r, err := s.assess(ctx, rev, d.Env, fmt.Sprintf("deployment %d", d.ID))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetDeploymentReadiness(ctx, d.ID, data); err != nil {
		return nil, err
	}
	return r, nil
}

// DeploymentReadiness returns the readiness report attached to a
// deployment; nil when none is.
func (s *Service) DeploymentReadiness(ctx context.Context, id int64) (*readiness.Report, error) {
	data, err := s.st.DeploymentReadiness(ctx, id)
	if err != nil || data == nil {
		return nil, err
	}
	var r readiness.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("readiness of deployment %d: %w", id, err)
	}
	return &r, nil
}

// wantsReadiness reports whether a new deployment gets a readiness report
// attached: its gates hold readiness, or its environment is protected.
func wantsReadiness(d record.Deployment, pol envPolicy) bool {
	return slices.Contains(d.Gates, spec.GateReadiness) || pol.required > 0
}
