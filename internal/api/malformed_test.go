package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

func decodeError(t *testing.T, resp response) api.ErrorBody {
	t.Helper()
	if ct := resp.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e api.ErrorBody
	dec := json.NewDecoder(strings.NewReader(resp.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("body is not the error shape (%v): %s", err, resp.body)
	}
	return e
}

// A malformed request is refused with 400 before any Service method that
// changes something is called.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	const bf = "/api/v1/backfills"
	const trig = "/api/v1/pipelines/orders/trigger"
	cases := []struct {
		name, method, path, contentType, body string
		field                                 string // the field the error names
	}{
		{"bad JSON", "POST", trig, "application/json", `{"params":`, ""},
		{"not JSON", "POST", trig, "application/json", `params=1`, ""},
		{"unknown field", "POST", trig, "application/json", `{"params":{},"pipeline":"other"}`, "pipeline"},
		{"wrong type", "POST", trig, "application/json", `{"params":["a"]}`, "params"},
		{"two values", "POST", trig, "application/json", `{} {}`, ""},
		{"wrong content type", "POST", trig, "text/plain", `{"date":"2024-05-01"}`, ""},
		{"bad date", "POST", trig, "application/json", `{"date":"1 May"}`, "date"},
		{"bad time", "POST", trig, "application/json", `{"interval_start":"yesterday","interval_end":"2024-05-02T00:00:00Z"}`, ""},
		{"half interval", "POST", trig, "application/json", `{"interval_start":"2024-05-01T00:00:00Z"}`, "interval_end"},
		{"date and interval", "POST", trig, "application/json",
			`{"date":"2024-05-01","interval_start":"2024-05-01T00:00:00Z","interval_end":"2024-05-02T00:00:00Z"}`, "date"},
		{"backfill no body", "POST", bf, "application/json", ``, ""},
		{"backfill unknown field", "POST", bf, "application/json", `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02","dryrun":true}`, "dryrun"},
		{"backfill no pipeline", "POST", bf, "application/json", `{"from":"2024-05-01","to":"2024-05-02"}`, "pipeline"},
		{"backfill bad from", "POST", bf, "application/json", `{"pipeline":"orders","from":"May","to":"2024-05-02"}`, "from"},
		{"backfill reversed", "POST", bf, "application/json", `{"pipeline":"orders","from":"2024-05-03","to":"2024-05-02"}`, "to"},
		{"backfill parallel", "POST", bf, "application/json", `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02","parallel":-1}`, "parallel"},
		{"backfill parallel string", "POST", bf, "application/json", `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02","parallel":"2"}`, "parallel"},
		{"limit=abc", "GET", "/api/v1/runs?limit=abc", "", "", "limit"},
		{"limit=0", "GET", "/api/v1/runs?limit=0", "", "", "limit"},
		{"limit=501", "GET", "/api/v1/runs?limit=501", "", "", "limit"},
		{"bad state", "GET", "/api/v1/runs?state=running,sleeping", "", "", "state"},
		{"bad trigger", "GET", "/api/v1/runs?trigger=cron", "", "", "trigger"},
		{"bad before", "GET", "/api/v1/runs?before=-3", "", "", "before"},
		{"bad backfill", "GET", "/api/v1/runs?backfill=x", "", "", "backfill"},
		{"dead letters limit", "GET", "/api/v1/dead-letters?limit=abc", "", "", "limit"},
		{"dead letters all", "GET", "/api/v1/dead-letters?all=maybe", "", "", "all"},
		{"run id=abc", "GET", "/api/v1/runs/abc", "", "", "id"},
		{"run id=0", "GET", "/api/v1/runs/0", "", "", "id"},
		{"attempts id", "GET", "/api/v1/runs/abc/attempts", "", "", "id"},
		{"logs id", "GET", "/api/v1/runs/abc/logs", "", "", "id"},
		{"logs tail", "GET", "/api/v1/runs/1/logs?tail=-1", "", "", "tail"},
		{"logs attempt", "GET", "/api/v1/runs/1/logs?attempt=x", "", "", "attempt"},
		{"logs follow", "GET", "/api/v1/runs/1/logs?follow=often", "", "", "follow"},
		{"cancel id=abc", "POST", "/api/v1/runs/abc/cancel", "", "", "id"},
		{"backfill id", "GET", "/api/v1/backfills/abc", "", "", "id"},
		{"cancel backfill id", "POST", "/api/v1/backfills/-1/cancel", "", "", "id"},
		{"dead letter id", "GET", "/api/v1/dead-letters/1.5", "", "", "id"},
		{"replay id=abc", "POST", "/api/v1/dead-letters/abc/replay", "", "", "id"},
		// What PostgreSQL's text columns cannot hold (SQLSTATE 22P05, 22021).
		{"NUL in a param value", "POST", trig, "application/json", `{"params":{"region":"eu\u0000"}}`, "params.region"},
		{"NUL in a param name", "POST", trig, "application/json", `{"params":{"re\u0000gion":"eu"}}`, "params"},
		{"NUL in a backfill pipeline", "POST", bf, "application/json", `{"pipeline":"orders\u0000","from":"2024-05-01","to":"2024-05-02"}`, "pipeline"},
		{"NUL in a silence reason", "POST", "/api/v1/silences", "application/json",
			`{"matchers":[{"name":"pipeline","op":"=","value":"orders"}],"duration_seconds":60,"reason":"deploy\u0000"}`, "reason"},
		{"NUL in a silence matcher", "POST", "/api/v1/silences", "application/json",
			`{"matchers":[{"name":"pipeline","op":"=","value":"ord\u0000ers"}],"duration_seconds":60,"reason":"deploy"}`, "matchers.value"},
		{"NUL in a test-fire route", "POST", "/api/v1/alerts/test", "application/json", `{"route":"oncall\u0000"}`, "route"},
		{"NUL in a pipeline path", "POST", "/api/v1/pipelines/ord%00ers/trigger", "", "", ""},
		{"NUL in a pause path", "POST", "/api/v1/pipelines/ord%00ers/pause", "", "", ""},
		{"bad UTF-8 in a path", "POST", "/api/v1/pipelines/ord%FFers/resume", "", "", ""},
		{"NUL in a query filter", "GET", "/api/v1/runs?pipeline=orders%00", "", "", "pipeline"},
		{"bad UTF-8 in a query filter", "GET", "/api/v1/dead-letters?pipeline=%FF", "", "", "pipeline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := populated()
			srv := newServer(t, fake)
			resp := send(t, srv, tc.method, tc.path, tc.contentType, tc.body)
			if resp.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.status, resp.body)
			}
			e := decodeError(t, resp)
			if e.Error != api.CodeInvalid || e.Field != tc.field {
				t.Errorf("error %q field %q, want %q field %q (%s)", e.Error, e.Field, api.CodeInvalid, tc.field, e.Message)
			}
			if m := fake.mutated(); m != nil {
				t.Errorf("a malformed request called %v", m)
			}
		})
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	fake := populated()
	srv := newServer(t, fake)
	cases := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nope", 404, api.CodeNotFound, ""},
		{"GET", "/", 404, api.CodeNotFound, ""},
		{"GET", "/api/v1/runs/7/nope", 404, api.CodeNotFound, ""},
		{"DELETE", "/api/v1/runs", 405, api.CodeMethodNotAllowed, "GET, HEAD"},
		{"GET", "/api/v1/reload", 405, api.CodeMethodNotAllowed, "POST"},
		{"PUT", "/api/v1/runs/7/cancel", 405, api.CodeMethodNotAllowed, "POST"},
	}
	for _, tc := range cases {
		resp := send(t, srv, tc.method, tc.path, "", "")
		if resp.status != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.status, tc.status)
			continue
		}
		if e := decodeError(t, resp); e.Error != tc.code {
			t.Errorf("%s %s: code %q, want %q", tc.method, tc.path, e.Error, tc.code)
		}
		if got := resp.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	if m := fake.mutated(); m != nil {
		t.Errorf("called %v", m)
	}
}

// Service errors map to statuses per service.go; a 500 hides the error
// from the client and logs it.
func TestServiceErrors(t *testing.T) {
	t.Parallel()
	const secret = "pq: password authentication failed for user gantry"
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		field  string
	}{
		{"field", fmt.Errorf("trigger: %w", &api.FieldError{Field: "params.region", Msg: "not declared"}), 400, api.CodeInvalid, "params.region"},
		{"invalid", fmt.Errorf("%w: pipeline is broken", api.ErrInvalid), 400, api.CodeInvalid, ""},
		{"not found", fmt.Errorf("pipeline orders: %w", store.ErrNotFound), 404, api.CodeNotFound, ""},
		{"conflict", fmt.Errorf("run is final: %w", store.ErrConflict), 409, api.CodeConflict, ""},
		{"internal", errors.New(secret), 500, api.CodeInternal, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := populated()
			fake.TriggerFunc = func(context.Context, api.TriggerRequest) (record.Run, error) {
				return record.Run{}, tc.err
			}
			srv := newServer(t, fake)
			resp := send(t, srv, "POST", "/api/v1/pipelines/orders/trigger", "", "")
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d", resp.status, tc.status)
			}
			e := decodeError(t, resp)
			if e.Error != tc.code || e.Field != tc.field {
				t.Errorf("got %+v, want code %q field %q", e, tc.code, tc.field)
			}
			if tc.status == 500 {
				if strings.Contains(resp.body, "password") {
					t.Errorf("500 body shows the error: %s", resp.body)
				}
				if !strings.Contains(srv.log.String(), secret) {
					t.Errorf("the server log lacks the error:\n%s", srv.log.String())
				}
			} else if !strings.Contains(e.Message, tc.err.Error()) {
				t.Errorf("message %q does not say %q", e.Message, tc.err)
			}
		})
	}
}

func TestPanicIs500(t *testing.T) {
	t.Parallel()
	fake := populated()
	fake.GetRunFunc = func(context.Context, int64) (record.Run, []record.RunTask, error) {
		panic("index out of range in secret-sauce.go")
	}
	srv := newServer(t, fake)
	resp := send(t, srv, "GET", "/api/v1/runs/7", "", "")
	if resp.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.status)
	}
	if e := decodeError(t, resp); e.Error != api.CodeInternal {
		t.Errorf("code %q, want internal", e.Error)
	}
	if strings.Contains(resp.body, "secret-sauce") || strings.Contains(resp.body, "goroutine") {
		t.Errorf("500 body shows the panic: %s", resp.body)
	}
	if !strings.Contains(srv.log.String(), "secret-sauce") {
		t.Errorf("the panic is not logged:\n%s", srv.log.String())
	}
	// The server survives.
	if resp := send(t, srv, "GET", "/healthz", "", ""); resp.status != 200 || resp.body != "ok" {
		t.Errorf("healthz after panic: %d %q", resp.status, resp.body)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	fake := populated()
	var ready error
	fake.ReadyFunc = func(context.Context) error { return ready }
	srv := newServer(t, fake)
	if resp := send(t, srv, "GET", "/readyz", "", ""); resp.status != 200 || resp.body != "ok\nleader: host-a-1-abc (this process)" {
		t.Errorf("ready: status %d, body %q; want 200 naming the leader", resp.status, resp.body)
	}
	ready = errors.New("scheduler not running")
	resp := send(t, srv, "GET", "/readyz", "", "")
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("not ready: status %d, want 503", resp.status)
	}
	if e := decodeError(t, resp); e.Error != api.CodeUnavailable || !strings.Contains(e.Message, "scheduler not running") {
		t.Errorf("not ready: %+v", e)
	}
}
