package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const docURL = "file:///openapi.json"

type openAPIDoc struct {
	raw    map[string]any
	schema *jsonschema.Compiler
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal(api.OpenAPI(), &raw); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	// Round-trip through JSON so the schema compiler sees JSON values.
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	return &openAPIDoc{raw: raw, schema: c}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// operations returns "METHOD /path" for every operation in the document.
func (d *openAPIDoc) operations() []string {
	var ops []string
	for path, item := range obj(d.raw["paths"]) {
		for method := range obj(item) {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// response returns the response object for status, or the default one,
// following a components $ref.
func (d *openAPIDoc) response(method, path string, status int) map[string]any {
	responses := obj(obj(obj(obj(d.raw["paths"])[path])[strings.ToLower(method)])["responses"])
	r := obj(responses[strconv.Itoa(status)])
	if r == nil {
		r = obj(responses["default"])
	}
	if ref, ok := r["$ref"].(string); ok {
		r = obj(obj(obj(d.raw["components"])["responses"])[strings.TrimPrefix(ref, "#/components/responses/")])
	}
	return r
}

// compile compiles the schema that a media-type object or request body
// names by $ref into the components.
func (d *openAPIDoc) compile(t *testing.T, media map[string]any) *jsonschema.Schema {
	t.Helper()
	ref, ok := obj(media["schema"])["$ref"].(string)
	if !ok {
		t.Fatalf("schema %v is not a $ref into components", media["schema"])
	}
	s, err := d.schema.Compile(docURL + ref)
	if err != nil {
		t.Fatalf("compile %s: %v", ref, err)
	}
	return s
}

func (d *openAPIDoc) validate(t *testing.T, s *jsonschema.Schema, body string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, body)
	}
	return s.Validate(v)
}

func TestOpenAPIVersion(t *testing.T) {
	t.Parallel()
	d := loadOpenAPI(t)
	v, _ := d.raw["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q, want 3.x", v)
	}
}

// Every route the mux serves is documented with its method, and the
// document describes no route the mux lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	d := loadOpenAPI(t)
	routes := api.Routes()
	slices.Sort(routes)
	if got := d.operations(); !slices.Equal(got, routes) {
		for _, r := range routes {
			if !slices.Contains(got, r) {
				t.Errorf("route %s is not in openapi.yaml", r)
			}
		}
		for _, op := range got {
			if !slices.Contains(routes, op) {
				t.Errorf("openapi.yaml has %s, which the mux does not serve", op)
			}
		}
	}
}

// Real responses of every JSON route, successes and errors, validate
// against the schemas the document gives for their status.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	d := loadOpenAPI(t)
	fake := populated()
	srv := newServer(t, fake)
	bf := `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02","parallel":2}`
	cases := []struct {
		method, path, route, body string
		status                    int
	}{
		{"GET", "/api/v1/pipelines", "", "", 200},
		{"POST", "/api/v1/pipelines/orders/trigger", "/api/v1/pipelines/{name}/trigger", `{"params":{"a":"b"},"date":"2024-05-01"}`, 201},
		{"GET", "/api/v1/runs?limit=2&state=failed,queued", "/api/v1/runs", "", 200},
		{"GET", "/api/v1/runs/7", "/api/v1/runs/{id}", "", 200},
		{"GET", "/api/v1/runs/7/attempts", "/api/v1/runs/{id}/attempts", "", 200},
		{"POST", "/api/v1/runs/7/cancel", "/api/v1/runs/{id}/cancel", "", 200},
		{"POST", "/api/v1/backfills", "", bf, 201},
		{"POST", "/api/v1/backfills", "", strings.Replace(bf, "}", `,"dry_run":true}`, 1), 200},
		{"GET", "/api/v1/backfills/9", "/api/v1/backfills/{id}", "", 200},
		{"POST", "/api/v1/backfills/9/cancel", "/api/v1/backfills/{id}/cancel", "", 200},
		{"GET", "/api/v1/dead-letters?all=true", "/api/v1/dead-letters", "", 200},
		{"GET", "/api/v1/dead-letters/3", "/api/v1/dead-letters/{id}", "", 200},
		{"POST", "/api/v1/dead-letters/3/replay", "/api/v1/dead-letters/{id}/replay", "", 200},
		{"POST", "/api/v1/reload", "", "", 200},
		{"GET", "/api/v1/workers", "", "", 200},
		{"GET", "/api/v1/alerts?state=firing&pipeline=orders", "/api/v1/alerts", "", 200},
		{"GET", "/api/v1/alerts/4", "/api/v1/alerts/{id}", "", 200},
		{"POST", "/api/v1/alerts/test", "", `{"route":"data-oncall"}`, 200},
		{"GET", "/api/v1/alerts/test?route=data-oncall", "/api/v1/alerts/test", "", 200},
		{"GET", "/api/v1/alerts/test?route=never", "/api/v1/alerts/test", "", 200},
		{"POST", "/api/v1/silences", "", `{"matchers":[{"name":"pipeline","op":"=","value":"orders"}],"duration_seconds":7200,"reason":"vendor outage"}`, 201},
		{"GET", "/api/v1/silences?active=true", "/api/v1/silences", "", 200},
		{"POST", "/api/v1/silences/1/expire", "/api/v1/silences/{id}/expire", "", 200},
		// Errors.
		{"GET", "/api/v1/alerts?state=burning", "/api/v1/alerts", "", 400},
		{"GET", "/api/v1/alerts/99", "/api/v1/alerts/{id}", "", 404},
		{"POST", "/api/v1/alerts/test", "", `{"route":"nope"}`, 404},
		{"GET", "/api/v1/alerts/test", "", "", 400},
		{"GET", "/api/v1/runs?limit=abc", "/api/v1/runs", "", 400},
		{"GET", "/api/v1/runs/abc", "/api/v1/runs/{id}", "", 400},
		{"POST", "/api/v1/backfills", "", `{"nope":1}`, 400},
		{"GET", "/api/v1/dead-letters?limit=0", "/api/v1/dead-letters", "", 400},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		route := tc.route
		if route == "" {
			route = tc.path
		}
		resp := send(t, srv, tc.method, tc.path, "application/json", tc.body)
		if resp.status != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, resp.status, tc.status, resp.body)
			continue
		}
		media := obj(obj(d.response(tc.method, route, tc.status)["content"])["application/json"])
		if media == nil {
			t.Errorf("%s %s: openapi.yaml has no JSON response for %d", tc.method, route, tc.status)
			continue
		}
		if err := d.validate(t, d.compile(t, media), resp.body); err != nil {
			t.Errorf("%s %s: response does not match openapi.yaml: %v\n%s", tc.method, tc.path, err, resp.body)
		}
		covered[tc.method+" "+route] = true
	}
	// Every documented JSON success is exercised above.
	for _, op := range d.operations() {
		method, path, _ := strings.Cut(op, " ")
		for status := 200; status < 300; status++ {
			r := obj(obj(obj(obj(d.raw["paths"])[path])[strings.ToLower(method)])["responses"])[strconv.Itoa(status)]
			if obj(obj(r)["content"])["application/json"] != nil && !covered[op] && !deployOp(op) && !taskApprovalOp(op) {
				t.Errorf("%s has a JSON response the test does not validate", op)
			}
		}
	}
}

// Errors without a documented route (unknown route, wrong method), a
// service failure, a panic and readiness all use the Error schema.
func TestErrorsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	d := loadOpenAPI(t)
	errSchema, err := d.schema.Compile(docURL + "#/components/schemas/Error")
	if err != nil {
		t.Fatal(err)
	}
	fake := populated()
	fake.ReadyFunc = func(context.Context) error { return errors.New("store unreachable") }
	fake.GetRunFunc = func(context.Context, int64) (record.Run, []record.RunTask, error) {
		return record.Run{}, nil, store.ErrNotFound
	}
	fake.CancelFunc = func(context.Context, int64, string) (record.Run, error) {
		return record.Run{}, store.ErrConflict
	}
	fake.PipelinesFunc = func(context.Context) ([]api.Pipeline, error) { panic("boom") }
	fake.ReloadFunc = func(context.Context) (api.ReloadResult, error) { return api.ReloadResult{}, errors.New("disk") }
	srv := newServer(t, fake)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/readyz", 503},
		{"GET", "/api/v1/nope", 404},
		{"DELETE", "/api/v1/runs", 405},
		{"GET", "/api/v1/runs/5", 404},
		{"POST", "/api/v1/runs/5/cancel", 409},
		{"GET", "/api/v1/pipelines", 500},
		{"POST", "/api/v1/reload", 500},
	} {
		resp := send(t, srv, tc.method, tc.path, "", "")
		if resp.status != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.status, tc.status)
		}
		if err := d.validate(t, errSchema, resp.body); err != nil {
			t.Errorf("%s %s: not the Error schema: %v\n%s", tc.method, tc.path, err, resp.body)
		}
	}
}

// The request body schemas accept what the client sends, and the schemas
// are strict enough to catch a view that drifted from the document.
func TestRequestSchemasAndStrictness(t *testing.T) {
	t.Parallel()
	d := loadOpenAPI(t)
	compile := func(name string) *jsonschema.Schema {
		s, err := d.schema.Compile(docURL + "#/components/schemas/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, v := range map[string]any{
		"TriggerBody":     api.TriggerBody{Params: map[string]string{"a": "b"}, Start: t0.UTC(), End: t1.UTC()},
		"BackfillRequest": api.BackfillRequest{Pipeline: "orders", From: "2024-05-01", To: "2024-05-02", DryRun: true},
		"SilenceRequest": api.SilenceRequest{Matchers: []record.Matcher{{Name: "pipeline", Op: "=", Value: "orders"}},
			DurationSeconds: 3600, Reason: "maintenance"},
		"TestFireRequest": api.TestFireRequest{Route: "data-oncall"},
	} {
		data, _ := json.Marshal(v)
		if err := d.validate(t, compile(name), string(data)); err != nil {
			t.Errorf("%s: %v\n%s", name, err, data)
		}
	}
	run := compile("Run")
	for _, bad := range []string{
		`{"id":1,"pipeline":"x","trigger":"manual","state":"queued","extra":1}`,
		`{"id":1,"pipeline":"x","trigger":"manual","state":"queued","created_at":"2024-05-01T02:00:00+02:00"}`,
		`{"id":1,"pipeline":"x","trigger":"manual","state":"bogus"}`,
	} {
		if d.validate(t, run, bad) == nil {
			t.Errorf("the Run schema accepts %s", bad)
		}
	}
}
