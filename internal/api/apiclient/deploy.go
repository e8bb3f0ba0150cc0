package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
)

// Deploy deploys pipelines' files to env.
func (c *Client) Deploy(ctx context.Context, req api.DeployRequest) ([]api.DeployResultView, error) {
	var out api.DeployResults
	err := c.call(ctx, http.MethodPost, "/api/v1/deployments", nil, req, &out)
	return out.Results, err
}

// Promote creates a pending deployment in to of what is active in from.
func (c *Client) Promote(ctx context.Context, pipeline string, req api.PromoteRequest) (api.DeployResultView, error) {
	var out api.DeployResultView
	err := c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/promote", nil, req, &out)
	return out, err
}

// Approve approves a pending deployment.
func (c *Client) Approve(ctx context.Context, id int64, comment string) (api.DeployResultView, error) {
	var out api.DeployResultView
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/deployments/%s/approve", id), nil, api.ApproveRequest{Comment: comment}, &out)
	return out, err
}

// Reject rejects a pending deployment.
func (c *Client) Reject(ctx context.Context, id int64, reason string) (api.DeploymentView, error) {
	var out api.DeploymentView
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/deployments/%s/reject", id), nil, api.RejectRequest{Reason: reason}, &out)
	return out, err
}

// Rollback makes an earlier revision active at once.
func (c *Client) Rollback(ctx context.Context, pipeline string, req api.RollbackRequest) (api.DeploymentView, error) {
	var out api.DeploymentView
	err := c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/rollback", nil, req, &out)
	return out, err
}

// Revisions lists a pipeline's revisions, newest first.
func (c *Client) Revisions(ctx context.Context, pipeline string, limit int) ([]api.RevisionView, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.RevisionList
	err := c.call(ctx, http.MethodGet, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/revisions", q, nil, &out)
	return out.Revisions, err
}

// Deployments lists deployments, newest first.
func (c *Client) Deployments(ctx context.Context, pipeline, env string, states []record.DeploymentState, limit int) ([]api.DeploymentView, error) {
	q := url.Values{}
	if pipeline != "" {
		q.Set("pipeline", pipeline)
	}
	if env != "" {
		q.Set("env", env)
	}
	if len(states) > 0 {
		ss := make([]string, len(states))
		for i, s := range states {
			ss[i] = string(s)
		}
		q.Set("state", strings.Join(ss, ","))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.DeploymentList
	err := c.call(ctx, http.MethodGet, "/api/v1/deployments", q, nil, &out)
	return out.Deployments, err
}

// Deployment returns one deployment with its approvals.
func (c *Client) Deployment(ctx context.Context, id int64) (api.DeploymentView, error) {
	var out api.DeploymentView
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/deployments/%s", id), nil, nil, &out)
	return out, err
}

// Diff says what would change for pipeline in env.
func (c *Client) Diff(ctx context.Context, pipeline string, req api.DiffRequest) (api.DiffView, error) {
	var out api.DiffView
	err := c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/diff", nil, req, &out)
	return out, err
}

// Audit returns audit events, oldest first; limit 0 means the server's
// default.
func (c *Client) Audit(ctx context.Context, pipeline string, since time.Time, limit int) ([]api.AuditEventView, error) {
	q := url.Values{}
	if pipeline != "" {
		q.Set("pipeline", pipeline)
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.AuditList
	err := c.call(ctx, http.MethodGet, "/api/v1/audit", q, nil, &out)
	return out.Events, err
}

// CreateToken creates an API token; its secret is in the answer only.
func (c *Client) CreateToken(ctx context.Context, user, role string) (api.TokenCreated, error) {
	var out api.TokenCreated
	err := c.call(ctx, http.MethodPost, "/api/v1/tokens", nil, api.TokenRequest{User: user, Role: role}, &out)
	return out, err
}

// ListTokens lists every token, without secrets.
func (c *Client) ListTokens(ctx context.Context) ([]api.TokenView, error) {
	var out api.TokenList
	err := c.call(ctx, http.MethodGet, "/api/v1/tokens", nil, nil, &out)
	return out.Tokens, err
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.call(ctx, http.MethodPost, idPath("/api/v1/tokens/%s/revoke", id), nil, nil, nil)
}

// TaskApprovals lists a run's approval tasks.
func (c *Client) TaskApprovals(ctx context.Context, runID int64) (api.TaskApprovalList, error) {
	var out api.TaskApprovalList
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/runs/%s/approvals", runID), nil, nil, &out)
	return out, err
}

// DecideTask approves an approval task of a run, or rejects it for
// reason.
func (c *Client) DecideTask(ctx context.Context, runID int64, task string, approve bool, comment string) (api.TaskApprovalView, error) {
	var out api.TaskApprovalView
	verb, body := "approve", api.TaskDecisionRequest{Comment: comment}
	if !approve {
		verb, body = "reject", api.TaskDecisionRequest{Reason: comment}
	}
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/runs/%s/tasks/", runID)+url.PathEscape(task)+"/"+verb, nil, body, &out)
	return out, err
}

// Releases lists what a pipeline shipped into env, newest first.
func (c *Client) Releases(ctx context.Context, pipeline, env string, limit int) (api.ReleaseList, error) {
	var out api.ReleaseList
	q := url.Values{"env": {env}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	err := c.call(ctx, http.MethodGet, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/releases", q, nil, &out)
	return out, err
}

// RollbackRelease queues a run that ships an earlier release again.
func (c *Client) RollbackRelease(ctx context.Context, pipeline string, req api.ReleaseRollbackRequest) (api.RunView, error) {
	var out api.RunView
	err := c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/releases/rollback", nil, req, &out)
	return out, err
}
