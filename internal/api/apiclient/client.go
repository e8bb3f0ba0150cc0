package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/api"
)

// Client calls one Gantry server.
type Client struct {
	base string
	hc   *http.Client
	// User is sent as api.UserHeader; New sets it from $GANTRY_USER or
	// the OS user. A server that checks tokens ignores it.
	User string
	// Token is sent as "Authorization: Bearer Token" when set; New sets it
	// from $GANTRY_TOKEN.
	Token string
}

// New returns a client of the server at baseURL (e.g.
// "http://localhost:8080"); a nil httpClient means http.DefaultClient.
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient, User: defaultUser(), Token: os.Getenv("GANTRY_TOKEN")}
}

func defaultUser() string {
	if u := os.Getenv("GANTRY_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// do sends a request to path (with query q) carrying in as JSON when not
// nil, and returns the response when its status is 2xx, else an *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in any) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.User != "" {
		req.Header.Set(api.UserHeader, c.User)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, responseError(resp)
	}
	return resp, nil
}

// call is do for JSON answers: it decodes the body into out (unless nil).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	resp, err := c.do(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

func idPath(format string, id int64) string {
	return fmt.Sprintf(format, strconv.FormatInt(id, 10))
}

// Health reports whether the server process is up.
func (c *Client) Health(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Ready returns nil when the server is ready, else an *Error (503) saying why.
func (c *Client) Ready(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/readyz", nil, nil, nil)
}

// OpenAPI returns the server's OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, "/api/v1/openapi.yaml", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// Pipelines lists the loaded pipelines.
func (c *Client) Pipelines(ctx context.Context) ([]api.Pipeline, error) {
	var out api.PipelineList
	err := c.call(ctx, http.MethodGet, "/api/v1/pipelines", nil, nil, &out)
	return out.Pipelines, err
}

// Trigger creates a manual run of req.Pipeline. req.Actor is ignored: the
// server takes the actor from c.User.
func (c *Client) Trigger(ctx context.Context, req api.TriggerRequest) (api.RunView, error) {
	var out api.RunView
	body := api.TriggerBody{Params: req.Params, Date: req.Date, Start: req.Start, End: req.End}
	err := c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(req.Pipeline)+"/trigger", nil, body, &out)
	return out, err
}

// Pause pauses a pipeline's schedule.
func (c *Client) Pause(ctx context.Context, pipeline string) error {
	return c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/pause", nil, nil, nil)
}

// Resume resumes a pipeline's schedule.
func (c *Client) Resume(ctx context.Context, pipeline string) error {
	return c.call(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/resume", nil, nil, nil)
}

// ListRuns returns one page of runs; pass the answer's Next to RunsPage
// for the following one.
func (c *Client) ListRuns(ctx context.Context, q api.RunQuery) (api.RunList, error) {
	var out api.RunList
	err := c.call(ctx, http.MethodGet, "/api/v1/runs", q.Values(), nil, &out)
	return out, err
}

// RunsPage returns the page a RunList's Next points at.
func (c *Client) RunsPage(ctx context.Context, next string) (api.RunList, error) {
	var out api.RunList
	u, err := url.Parse(next)
	if err != nil || u.Path != "/api/v1/runs" {
		return out, errors.New("runs page: not a next link from ListRuns: " + next)
	}
	err = c.call(ctx, http.MethodGet, u.Path, u.Query(), nil, &out)
	return out, err
}

// GetRun returns a run with its tasks.
func (c *Client) GetRun(ctx context.Context, id int64) (api.RunView, error) {
	var out api.RunView
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/runs/%s", id), nil, nil, &out)
	return out, err
}

// ListAttempts returns a run's attempts; task "" means every task.
func (c *Client) ListAttempts(ctx context.Context, runID int64, task string) ([]api.AttemptView, error) {
	var out api.AttemptList
	q := url.Values{}
	if task != "" {
		q.Set("task", task)
	}
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/runs/%s/attempts", runID), q, nil, &out)
	return out.Attempts, err
}

// Logs returns a run's logs as a stream; with q.Follow it ends when the
// server stops following. The caller closes it.
func (c *Client) Logs(ctx context.Context, runID int64, q api.LogQuery) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, idPath("/api/v1/runs/%s/logs", runID), q.Values(), nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Cancel cancels a run that is not final.
func (c *Client) Cancel(ctx context.Context, runID int64) (api.RunView, error) {
	var out api.RunView
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/runs/%s/cancel", runID), nil, nil, &out)
	return out, err
}

// Backfill creates (or, with req.DryRun, plans) a backfill. req.Actor is
// ignored: the server takes the actor from c.User.
func (c *Client) Backfill(ctx context.Context, req api.BackfillRequest) (api.BackfillStatusView, error) {
	var out api.BackfillStatusView
	err := c.call(ctx, http.MethodPost, "/api/v1/backfills", nil, req, &out)
	return out, err
}

// GetBackfill returns a backfill and how far it got.
func (c *Client) GetBackfill(ctx context.Context, id int64) (api.BackfillStatusView, error) {
	var out api.BackfillStatusView
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/backfills/%s", id), nil, nil, &out)
	return out, err
}

// CancelBackfill cancels a backfill's remaining runs.
func (c *Client) CancelBackfill(ctx context.Context, id int64) (api.BackfillStatusView, error) {
	var out api.BackfillStatusView
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/backfills/%s/cancel", id), nil, nil, &out)
	return out, err
}

// ListDeadLetters returns dead letters, newest first.
func (c *Client) ListDeadLetters(ctx context.Context, q api.DeadLetterQuery) ([]api.DeadLetterView, error) {
	var out api.DeadLetterList
	err := c.call(ctx, http.MethodGet, "/api/v1/dead-letters", q.Values(), nil, &out)
	return out.DeadLetters, err
}

// GetDeadLetter returns one dead letter.
func (c *Client) GetDeadLetter(ctx context.Context, id int64) (api.DeadLetterView, error) {
	var out api.DeadLetterView
	err := c.call(ctx, http.MethodGet, idPath("/api/v1/dead-letters/%s", id), nil, nil, &out)
	return out, err
}

// Replay re-runs a dead letter's task and its downstream, on the revision
// its run is pinned to; force replays on a revision rolled back since.
func (c *Client) Replay(ctx context.Context, id int64, force bool) (api.RunView, error) {
	var out api.RunView
	var body any
	if force {
		body = api.ReplayRequest{Force: true}
	}
	err := c.call(ctx, http.MethodPost, idPath("/api/v1/dead-letters/%s/replay", id), nil, body, &out)
	return out, err
}

// Reload makes the server re-read the project.
func (c *Client) Reload(ctx context.Context) (api.ReloadResult, error) {
	var out api.ReloadResult
	err := c.call(ctx, http.MethodPost, "/api/v1/reload", nil, nil, &out)
	return out, err
}

// ListWorkers returns the registered workers and the process that leads.
func (c *Client) ListWorkers(ctx context.Context) (api.WorkerList, error) {
	var out api.WorkerList
	err := c.call(ctx, http.MethodGet, "/api/v1/workers", nil, nil, &out)
	return out, err
}
