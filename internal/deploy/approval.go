package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Approve records actor's approval of a pending deployment and activates
// it when that was the last gate. The deployment's author cannot approve
// it, nor can anyone outside its Approvers (when it names any); both are
// ErrForbidden. Approving twice, or a deployment that is not pending or
// needs no approval, is ErrConflict.
func (s *Service) Approve(ctx context.Context, actor string, id int64, comment string) (*Result, error) {
	d, err := s.pendingForDecision(ctx, actor, id, "approving", "approve")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(d.Gates, spec.GateApproval) {
		return nil, fmt.Errorf("%w: deployment %d needs no approval (gates: %s)", ErrConflict, id, strings.Join(d.Gates, ", "))
	}
	if actor == d.CreatedBy {
		return nil, fmt.Errorf("%w: you deployed this; another person must approve deployment %d", ErrForbidden, id)
	}
	as, err := s.st.ListApprovals(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.User == actor {
			return nil, fmt.Errorf("%w: you already approved deployment %d", ErrConflict, id)
		}
	}
	ev := s.event(actor, record.AuditApprove, d)
	ev.Reason = comment
	if _, err := s.st.AddApproval(ctx, record.Approval{DeploymentID: id, User: actor, Comment: comment, CreatedAt: s.now()}, ev); err != nil {
		return nil, err
	}
	return s.finish(ctx, &Result{Deployment: d}, actor)
}

// Reject ends a pending deployment: it will never be active. reason is
// required. Its author may withdraw it; anyone else must be allowed to
// approve it.
func (s *Service) Reject(ctx context.Context, actor string, id int64, reason string) (record.Deployment, error) {
	if strings.TrimSpace(reason) == "" {
		return record.Deployment{}, fmt.Errorf("%w: rejecting needs a reason", ErrInvalid)
	}
	d, err := s.pendingForDecision(ctx, actor, id, "rejecting", "reject")
	if err != nil {
		return record.Deployment{}, err
	}
	ev := s.event(actor, record.AuditReject, d)
	ev.Reason = reason
	if err := s.st.EndDeployment(ctx, id, record.DeploymentRejected, reason, s.now(), ev); err != nil {
		return record.Deployment{}, err
	}
	return s.st.GetDeployment(ctx, id)
}

// pendingForDecision returns deployment id when it is pending and actor
// may decide on it; doing and do name the decision, for messages.
func (s *Service) pendingForDecision(ctx context.Context, actor string, id int64, doing, do string) (record.Deployment, error) {
	if actor == "" {
		return record.Deployment{}, fmt.Errorf("%w: no actor", ErrInvalid)
	}
	d, err := s.st.GetDeployment(ctx, id)
	if err != nil {
		return d, fmt.Errorf("deployment %d: %w", id, err)
	}
	if d.State != record.DeploymentPending {
		return d, fmt.Errorf("%w: deployment %d is %s; only a pending deployment can be approved or rejected", ErrConflict, id, d.State)
	}
	if s.unauthenticated {
		protected, err := s.protected(ctx, d)
		if err != nil {
			return d, err
		}
		if protected {
			return d, fmt.Errorf("%w: %s a deployment to %s needs an authenticated identity: run gantry serve and %s through it with your API token (--server URL --token T)",
				ErrForbidden, doing, d.Env, do)
		}
	}
	if actor != d.CreatedBy && len(d.Approvers) > 0 && !slices.Contains(d.Approvers, actor) {
		return d, fmt.Errorf("%w: %s may not approve deployments of %s to %s (approvers: %s)", ErrForbidden,
			actor, d.Pipeline, d.Env, strings.Join(d.Approvers, ", "))
	}
	return d, nil
}

// Promote creates a pending deployment to env to of the revision active in
// env from, gated as a deploy of it would be and always on a succeeded
// staging run of the same content. A revision whose staging run failed,
// or that never had one, is refused with ErrConflict; one whose staging
// run is under way waits for it.
func (s *Service) Promote(ctx context.Context, actor, pipeline, from, to, message string) (*Result, error) {
	if actor == "" || from == "" || to == "" || from == to {
		return nil, fmt.Errorf("%w: promote needs an actor and two different environments", ErrInvalid)
	}
	src, err := s.st.ActiveDeployment(ctx, pipeline, from)
	if err != nil {
		return nil, fmt.Errorf("nothing of %s is active in %s to promote: %w", pipeline, from, err)
	}
	rev, err := s.st.GetRevision(ctx, src.Revision)
	if err != nil {
		return nil, err
	}
	switch rev.StagingState {
	case record.RunSucceeded, record.RunQueued, record.RunRunning, record.RunWaiting:
	case "":
		return nil, fmt.Errorf("%w: revision %s of %s has no staging run: deploy it to a staging environment first", ErrConflict, Short(rev.Hash), pipeline)
	default:
		return nil, fmt.Errorf("%w: the staging run %d of revision %s %s: fix it and deploy again", ErrConflict, rev.StagingRunID, Short(rev.Hash), rev.StagingState)
	}
	b, err := s.bundle(ctx, rev.Hash)
	if err != nil {
		return nil, err
	}
	p, err := s.newPlan(ctx, b, to)
	if err != nil {
		return nil, err
	}
	if !p.report.Passed() {
		return nil, &GateError{Env: to, Refused: []GateReport{{Pipeline: pipeline, Report: p.report}}}
	}
	if message == "" {
		message = "promoted from " + from
	}
	extra := []string{spec.GateStaging}
	if fired, err := s.testFireRoutes(ctx, actor, p); err != nil {
		return nil, err
	} else if fired {
		extra = append(extra, GateTestFire)
	}
	return s.propose(ctx, actor, p, message, record.AuditPromote, extra)
}

// protected reports whether d's environment requires approvals: d asks
// for some, or the environment's policy does (its deploy.gates may leave
// the approval out of d's class, but not who may decide on it).
func (s *Service) protected(ctx context.Context, d record.Deployment) (bool, error) {
	if d.Approvals > 0 {
		return true, nil
	}
	next, err := s.bundle(ctx, d.Revision)
	if err != nil {
		return false, err
	}
	var active *Bundle
	if a, err := s.st.ActiveDeployment(ctx, d.Pipeline, d.Env); err == nil {
		if active, err = s.bundle(ctx, a.Revision); err != nil {
			return false, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	pol, err := policyFor(active, next, d.Env)
	if err != nil {
		return false, err
	}
	return pol.required > 0, nil
}
