package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
)

// ListAlerts returns alerts, most recently changed first; state "" means
// both firing and resolved, pipeline and env "" every one.
func (c *Client) ListAlerts(ctx context.Context, state record.AlertState, pipeline, env string, limit int) ([]api.AlertView, error) {
	q := url.Values{}
	if env != "" {
		q.Set("env", env)
	}
	if state != "" {
		q.Set("state", string(state))
	}
	if pipeline != "" {
		q.Set("pipeline", pipeline)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.AlertList
	err := c.call(ctx, http.MethodGet, "/api/v1/alerts", q, nil, &out)
	return out.Alerts, err
}

// GetAlert returns one alert with its deliveries.
func (c *Client) GetAlert(ctx context.Context, id int64) (api.AlertView, error) {
	var out api.AlertView
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/alerts/%s", id), nil, nil, &out)
	return out, err
}

// TestFire sends a test alert through every channel of route.
func (c *Client) TestFire(ctx context.Context, route string) (api.TestFireView, error) {
	var out api.TestFireView
	err := c.call(ctx, http.MethodPost, "/api/v1/alerts/test", nil, api.TestFireRequest{Route: route}, &out)
	return out, err
}

// LastTestFire returns when route last had a test-fire every channel
// took; ok is false when it never had one.
func (c *Client) LastTestFire(ctx context.Context, route string) (at time.Time, ok bool, err error) {
	var out api.LastTestFireView
	err = c.call(ctx, http.MethodGet, "/api/v1/alerts/test", url.Values{"route": {route}}, nil, &out)
	return out.At, out.Found, err
}

// ListSilences returns silences, newest first; active limits them to those
// muting alerts now.
func (c *Client) ListSilences(ctx context.Context, active bool) ([]api.SilenceView, error) {
	q := url.Values{}
	if active {
		q.Set("active", "true")
	}
	var out api.SilenceList
	err := c.call(ctx, http.MethodGet, "/api/v1/silences", q, nil, &out)
	return out.Silences, err
}

// AddSilence creates a silence.
func (c *Client) AddSilence(ctx context.Context, req api.SilenceRequest) (api.SilenceView, error) {
	var out api.SilenceView
	err := c.call(ctx, http.MethodPost, "/api/v1/silences", nil, req, &out)
	return out, err
}

// ExpireSilence ends a silence now.
func (c *Client) ExpireSilence(ctx context.Context, id int64) (api.SilenceView, error) {
	var out api.SilenceView
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/silences/%s/expire", id), nil, nil, &out)
	return out, err
}
