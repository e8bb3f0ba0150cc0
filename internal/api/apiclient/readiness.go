package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/readiness"
)

// Readiness assesses pipeline in env.
func (c *Client) Readiness(ctx context.Context, pipeline, env string) (*readiness.Report, error) {
	var out readiness.Report
	err := c.call(ctx, http.MethodGet, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/readiness", url.Values{"env": {env}}, nil, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReadinessAll assesses every deployed pipeline in env.
func (c *Client) ReadinessAll(ctx context.Context, env string) ([]*readiness.Report, error) {
	var out api.ReadinessList
	err := c.call(ctx, http.MethodGet, "/api/v1/readiness", url.Values{"env": {env}}, nil, &out)
	return out.Reports, err
}

// Sizing is the resource sizing of pipeline's tasks in env, from the
// last succeeded attempts of each (0: the server's default).
func (c *Client) Sizing(ctx context.Context, pipeline, env string, last int) (*readiness.Sizing, error) {
	q := url.Values{"env": {env}}
	if last > 0 {
		q.Set("last", strconv.Itoa(last))
	}
	var out readiness.Sizing
	if err := c.call(ctx, http.MethodGet, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/sizing", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s DeployService) Readiness(ctx context.Context, pipeline, env string) (*readiness.Report, error) {
	return s.C.Readiness(ctx, pipeline, env)
}

func (s DeployService) ReadinessAll(ctx context.Context, env string) ([]*readiness.Report, error) {
	return s.C.ReadinessAll(ctx, env)
}

func (s DeployService) Sizing(ctx context.Context, pipeline, env string, last int) (*readiness.Sizing, error) {
	return s.C.Sizing(ctx, pipeline, env, last)
}

func (s DeployService) DeploymentReadiness(ctx context.Context, id int64) (*readiness.Report, error) {
	v, err := s.C.Deployment(ctx, id)
	return v.Readiness, err
}
