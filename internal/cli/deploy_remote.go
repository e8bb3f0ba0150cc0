package cli

import (
	"context"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// remoteDeploy is the deploy commands' backend through a server's API:
// the server knows who acts from the token, so actor is not sent.
type remoteDeploy struct{ c *apiclient.Client }

var _ deployBackend = remoteDeploy{}

func (r remoteDeploy) DeployAll(ctx context.Context, _ string, bs []*deploy.Bundle, env, message string) ([]*deploy.Result, error) {
	req := api.DeployRequest{Env: env, Message: message}
	for _, b := range bs {
		req.Bundles = append(req.Bundles, api.NewBundleBody(b))
	}
	vs, err := r.c.Deploy(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]*deploy.Result, len(vs))
	for i, v := range vs {
		out[i] = resultFromView(v)
	}
	return out, nil
}

func (r remoteDeploy) Promote(ctx context.Context, _ string, pipeline, from, to, message string) (*deploy.Result, error) {
	v, err := r.c.Promote(ctx, pipeline, api.PromoteRequest{From: from, To: to, Message: message})
	if err != nil {
		return nil, err
	}
	return resultFromView(v), nil
}

func (r remoteDeploy) Approve(ctx context.Context, _ string, id int64, comment string) (*deploy.Result, error) {
	v, err := r.c.Approve(ctx, id, comment)
	if err != nil {
		return nil, err
	}
	return resultFromView(v), nil
}

func (r remoteDeploy) Reject(ctx context.Context, _ string, id int64, reason string) (record.Deployment, error) {
	v, err := r.c.Reject(ctx, id, reason)
	return deploymentFromView(v), err
}

func (r remoteDeploy) RollbackWith(ctx context.Context, _ string, o deploy.RollbackOptions) (record.Deployment, error) {
	v, err := r.c.Rollback(ctx, o.Pipeline, api.RollbackRequest{Env: o.Env, To: o.To, Reason: o.Reason, Force: o.Force})
	return deploymentFromView(v), err
}

func (r remoteDeploy) Revisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error) {
	vs, err := r.c.Revisions(ctx, pipeline, limit)
	out := make([]record.Revision, len(vs))
	for i, v := range vs {
		out[i] = revisionFromView(v)
	}
	return out, err
}

func (r remoteDeploy) Deployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error) {
	vs, err := r.c.Deployments(ctx, f.Pipeline, f.Env, f.States, f.Limit)
	out := make([]record.Deployment, len(vs))
	for i, v := range vs {
		out[i] = deploymentFromView(v)
	}
	return out, err
}

func (r remoteDeploy) Diff(ctx context.Context, pipeline, env, to string) (*deploy.Diff, error) {
	v, err := r.c.Diff(ctx, pipeline, api.DiffRequest{Env: env, To: to})
	if err != nil {
		return nil, err
	}
	return diffFromView(v), nil
}

func (r remoteDeploy) DiffBundle(ctx context.Context, b *deploy.Bundle, env string) (*deploy.Diff, error) {
	body := api.NewBundleBody(b)
	v, err := r.c.Diff(ctx, b.Pipeline, api.DiffRequest{Env: env, Bundle: &body})
	if err != nil {
		return nil, err
	}
	return diffFromView(v), nil
}

func (r remoteDeploy) Audit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error) {
	vs, err := r.c.Audit(ctx, f.Pipeline, f.Since, max(f.Limit, 0))
	out := make([]record.AuditEvent, len(vs))
	for i, v := range vs {
		out[i] = record.AuditEvent{ID: v.ID, Time: v.Time, Actor: v.Actor, Action: v.Action, Pipeline: v.Pipeline,
			Env: v.Env, Revision: v.Revision, DeploymentID: v.DeploymentID, Reason: v.Reason, Detail: v.Detail}
	}
	return out, err
}

func (r remoteDeploy) CreateToken(ctx context.Context, _ string, user, role string) (string, record.Token, error) {
	v, err := r.c.CreateToken(ctx, user, role)
	return v.Token, tokenFromView(v.Info), err
}

func (r remoteDeploy) ListTokens(ctx context.Context) ([]record.Token, error) {
	vs, err := r.c.ListTokens(ctx)
	out := make([]record.Token, len(vs))
	for i, v := range vs {
		out[i] = tokenFromView(v)
	}
	return out, err
}

func (r remoteDeploy) RevokeToken(ctx context.Context, _ string, id int64) error {
	return r.c.RevokeToken(ctx, id)
}

func resultFromView(v api.DeployResultView) *deploy.Result {
	res := &deploy.Result{
		Deployment: deploymentFromView(v.Deployment), Revision: revisionFromView(v.Revision),
		NewRevision: v.NewRevision, Unchanged: v.Unchanged, Waiting: v.Waiting,
	}
	if v.Diff != nil {
		res.Diff = diffFromView(*v.Diff)
	}
	if v.StagingRun != nil {
		run, _ := runFromView(*v.StagingRun)
		res.Staging = &run
	}
	return res
}

func deploymentFromView(v api.DeploymentView) record.Deployment {
	return record.Deployment{
		ID: v.ID, Pipeline: v.Pipeline, Env: v.Env, Revision: v.Revision, State: v.State, Risk: v.Risk,
		Gates: v.Gates, Approvals: v.ApprovalsRequired, Approvers: v.Approvers, CreatedBy: v.CreatedBy,
		CreatedAt: v.CreatedAt, ActivatedAt: v.ActivatedAt, EndedAt: v.EndedAt, Previous: v.Previous,
		Message: v.Message, Reason: v.Reason,
	}
}

func revisionFromView(v api.RevisionView) record.Revision {
	r := record.Revision{
		Hash: v.Hash, Pipeline: v.Pipeline, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, Message: v.Message,
		CheckSummary: v.CheckSummary, StagingRunID: v.StagingRunID, StagingState: v.StagingState,
	}
	for _, f := range v.Files {
		r.Files = append(r.Files, record.RevisionFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Context: f.Context})
	}
	return r
}

func diffFromView(v api.DiffView) *deploy.Diff {
	d := &deploy.Diff{Pipeline: v.Pipeline, From: v.From, To: v.To, Risk: v.Risk}
	for _, c := range v.Changes {
		d.Changes = append(d.Changes, deploy.Change{Class: c.Class, Text: c.Text})
	}
	return d
}

func tokenFromView(v api.TokenView) record.Token {
	return record.Token{ID: v.ID, User: v.User, Role: v.Role, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt,
		RevokedAt: v.RevokedAt, RevokedBy: v.RevokedBy}
}
