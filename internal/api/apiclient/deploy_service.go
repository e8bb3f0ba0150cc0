package apiclient

import (
	"context"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// DeployService is api.DeployService through a server: the interface the
// local deploy.Service implements, returning the same records, so that a
// deploy command is written once. The server knows who acts from the
// token, so the actor arguments are not sent.
type DeployService struct{ C *Client }

// RunReader reads runs, attempts and dead letters through a server, with
// api.Service's methods and records.
type RunReader struct{ C *Client }

var _ api.DeployService = DeployService{}

func (s DeployService) DeployAll(ctx context.Context, _ string, bs []*deploy.Bundle, env, message string) ([]*deploy.Result, error) {
	req := api.DeployRequest{Env: env, Message: message}
	for _, b := range bs {
		req.Bundles = append(req.Bundles, api.NewBundleBody(b))
	}
	vs, err := s.C.Deploy(ctx, req)
	if err != nil {
		return nil, err
	}
	return mapSlice(vs, resultRecord), nil
}

func (s DeployService) Promote(ctx context.Context, _ string, pipeline, from, to, message string) (*deploy.Result, error) {
	v, err := s.C.Promote(ctx, pipeline, api.PromoteRequest{From: from, To: to, Message: message})
	if err != nil {
		return nil, err
	}
	return resultRecord(v), nil
}

func (s DeployService) Approve(ctx context.Context, _ string, id int64, comment string) (*deploy.Result, error) {
	v, err := s.C.Approve(ctx, id, comment)
	if err != nil {
		return nil, err
	}
	return resultRecord(v), nil
}

func (s DeployService) Reject(ctx context.Context, _ string, id int64, reason string) (record.Deployment, error) {
	v, err := s.C.Reject(ctx, id, reason)
	return deploymentRecord(v), err
}

func (s DeployService) RollbackWith(ctx context.Context, _ string, o deploy.RollbackOptions) (record.Deployment, error) {
	v, err := s.C.Rollback(ctx, o.Pipeline, api.RollbackRequest{Env: o.Env, To: o.To, Reason: o.Reason, Force: o.Force})
	return deploymentRecord(v), err
}

func (s DeployService) Revisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error) {
	vs, err := s.C.Revisions(ctx, pipeline, limit)
	return mapSlice(vs, revisionRecord), err
}

func (s DeployService) Deployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error) {
	vs, err := s.C.Deployments(ctx, f.Pipeline, f.Env, f.States, f.Limit)
	return mapSlice(vs, deploymentRecord), err
}

func (s DeployService) Deployment(ctx context.Context, id int64) (record.Deployment, []record.Approval, []string, error) {
	v, err := s.C.Deployment(ctx, id)
	return deploymentRecord(v), approvalRecords(v), v.Waiting, err
}

func (s DeployService) Diff(ctx context.Context, pipeline, env, to string) (*deploy.Diff, error) {
	v, err := s.C.Diff(ctx, pipeline, api.DiffRequest{Env: env, To: to})
	if err != nil {
		return nil, err
	}
	return diffRecord(v), nil
}

func (s DeployService) DiffBundle(ctx context.Context, b *deploy.Bundle, env string) (*deploy.Diff, error) {
	body := api.NewBundleBody(b)
	v, err := s.C.Diff(ctx, b.Pipeline, api.DiffRequest{Env: env, Bundle: &body})
	if err != nil {
		return nil, err
	}
	return diffRecord(v), nil
}

func (s DeployService) Audit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error) {
	vs, err := s.C.Audit(ctx, f.Pipeline, f.Since, max(f.Limit, 0))
	return mapSlice(vs, auditRecord), err
}

func (s DeployService) CreateToken(ctx context.Context, _ string, user, role string) (string, record.Token, error) {
	v, err := s.C.CreateToken(ctx, user, role)
	return v.Token, tokenRecord(v.Info), err
}

func (s DeployService) ListTokens(ctx context.Context) ([]record.Token, error) {
	vs, err := s.C.ListTokens(ctx)
	return mapSlice(vs, tokenRecord), err
}

func (s DeployService) RevokeToken(ctx context.Context, _ string, id int64) error {
	return s.C.RevokeToken(ctx, id)
}

func (r RunReader) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	l, err := r.C.ListRuns(ctx, api.RunQuery{Pipeline: f.Pipeline, Env: f.Env, States: f.States, Trigger: f.Trigger,
		BackfillID: f.BackfillID, Limit: f.Limit, Before: f.BeforeID})
	if err != nil {
		return nil, err
	}
	return mapSlice(l.Runs, func(v api.RunView) record.Run { run, _ := runRecord(v); return run }), nil
}

func (r RunReader) GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error) {
	v, err := r.C.GetRun(ctx, id)
	if err != nil {
		return record.Run{}, nil, err
	}
	run, tasks := runRecord(v)
	return run, tasks, nil
}

func (r RunReader) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	vs, err := r.C.ListAttempts(ctx, runID, task)
	if err != nil {
		return nil, err
	}
	return mapSlice(vs, attemptRecord), nil
}

func (r RunReader) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	vs, err := r.C.ListDeadLetters(ctx, api.DeadLetterQuery{Pipeline: f.Pipeline, Env: f.Env, All: !f.Unreplayed, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	return mapSlice(vs, deadLetterRecord), nil
}

func (r RunReader) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	v, err := r.C.GetDeadLetter(ctx, id)
	return deadLetterRecord(v), err
}

func (s DeployService) TaskQuestions(ctx context.Context, runID int64) ([]deploy.TaskQuestion, error) {
	l, err := s.C.TaskApprovals(ctx, runID)
	return mapSlice(l.Approvals, taskQuestion), err
}

func (s DeployService) DecideTask(ctx context.Context, _ string, runID int64, task string, approve bool, comment string) (deploy.TaskQuestion, error) {
	v, err := s.C.DecideTask(ctx, runID, task, approve, comment)
	return taskQuestion(v), err
}

func (s DeployService) Releases(ctx context.Context, pipeline, env string, limit int) ([]record.Release, error) {
	l, err := s.C.Releases(ctx, pipeline, env, limit)
	return mapSlice(l.Releases, func(v api.ReleaseView) record.Release {
		return record.Release{ID: v.ID, Pipeline: v.Pipeline, Env: v.Env, RunID: v.RunID, Revision: v.Revision, Kind: v.Kind,
			Succeeded: v.Succeeded, Params: v.Params, Outputs: v.Outputs, ApprovedBy: v.ApprovedBy, TriggeredBy: v.TriggeredBy,
			CreatedAt: v.CreatedAt, RollbackTo: v.RollbackTo}
	}), err
}
