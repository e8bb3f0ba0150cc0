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

// advance activates d when it is pending and its gates are met, with actor
// as the one who completed them. It returns d as it now is and, when it
// stays pending, what it waits for.
func (s *Service) advance(ctx context.Context, d record.Deployment, actor string) (record.Deployment, []string, error) {
	if d.State != record.DeploymentPending {
		return d, nil, nil
	}
	waiting, err := s.waiting(ctx, d, true)
	if err != nil || len(waiting) > 0 {
		return d, waiting, err
	}
	ev := s.event(actor, record.AuditActivate, d)
	ev.Detail = "gates met: " + fmt.Sprint(d.Gates)
	if d.Previous != "" {
		ev.Detail += "; replaces " + Short(d.Previous)
	}
	active, err := s.st.ActivateDeployment(ctx, store.Activation{ID: d.ID, At: s.now(), Audit: ev})
	if errors.Is(err, store.ErrConflict) {
		// Someone else activated, rejected or superseded it first.
		cur, gerr := s.st.GetDeployment(ctx, d.ID)
		return cur, nil, gerr
	}
	return active, nil, err
}

// waiting lists the gates of d not yet met, for people. With judge, the
// readiness gate assesses d afresh and attaches the report (the path that
// may activate d); without, it reads the report attached last.
func (s *Service) waiting(ctx context.Context, d record.Deployment, judge bool) ([]string, error) {
	var out []string
	if slices.Contains(d.Gates, spec.GateStaging) {
		rev, err := s.st.GetRevision(ctx, d.Revision)
		if err != nil {
			return nil, err
		}
		switch rev.StagingState {
		case record.RunSucceeded:
		case "":
			out = append(out, fmt.Sprintf("staging: no staging run of %s yet; deploy it to a staging environment", Short(d.Revision)))
		default:
			out = append(out, fmt.Sprintf("staging: staging run %d of %s is %s", rev.StagingRunID, Short(d.Revision), rev.StagingState))
		}
	}
	if slices.Contains(d.Gates, spec.GateReadiness) {
		w, err := s.readinessWaiting(ctx, d, judge)
		if err != nil {
			return nil, err
		}
		out = append(out, w...)
	}
	if slices.Contains(d.Gates, spec.GateApproval) {
		as, err := s.st.ListApprovals(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		if len(as) < d.Approvals {
			out = append(out, fmt.Sprintf("approval: %d of %d approvals (gantry approve %d)", len(as), d.Approvals, d.ID))
		}
	}
	return out, nil
}

// startStaging starts the staging run of rev unless one succeeded or is
// under way. A run that comes back final (the local CLI) is recorded at
// once.
func (s *Service) startStaging(ctx context.Context, env string, rev record.Revision, b *Bundle) (*record.Run, error) {
	if s.starter == nil {
		return nil, nil
	}
	switch rev.StagingState {
	case record.RunSucceeded, record.RunQueued, record.RunRunning, record.RunWaiting:
		return nil, nil
	}
	run, err := s.starter.StartStaging(ctx, env, rev, b)
	if err != nil {
		return nil, fmt.Errorf("start staging run of %s: %w", Short(rev.Hash), err)
	}
	if err := s.recordStaging(ctx, rev.Hash, run); err != nil {
		return nil, err
	}
	return &run, nil
}

// restage starts a new staging run for content already active in a
// staging environment whose last staging run did not succeed: deploying
// it again is how one retries.
func (s *Service) restage(ctx context.Context, p *plan, res *Result) error {
	if !p.pol.staging || res.Revision.StagingState == record.RunSucceeded {
		return nil
	}
	run, err := s.startStaging(ctx, p.env, res.Revision, p.b)
	res.Staging = run
	return err
}

// recordStaging records a staging run's state on its revision, with an
// audit event, and, when the run is final, re-evaluates the pending
// deployments of that content.
func (s *Service) recordStaging(ctx context.Context, hash string, run record.Run) error {
	ev := &record.AuditEvent{Time: s.now(), Actor: ActorGantry, Action: record.AuditStaging,
		Pipeline: run.Pipeline, Env: run.Env, Revision: hash,
		Detail: fmt.Sprintf("staging run %d %s", run.ID, run.State)}
	if run.State == record.RunFailed || run.State == record.RunCancelled {
		ev.Reason = run.Error
	}
	if err := s.st.SetStagingRun(ctx, hash, run.ID, run.State, ev); err != nil {
		return err
	}
	if !run.State.Final() {
		return nil
	}
	pending, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: run.Pipeline, Revision: hash,
		States: []record.DeploymentState{record.DeploymentPending}, Limit: -1})
	if err != nil {
		return err
	}
	for _, d := range pending {
		if _, _, err := s.advance(ctx, d, ActorGantry); err != nil {
			return err
		}
	}
	return nil
}
