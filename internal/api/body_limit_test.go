package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// bundleServer serves the real deploy lifecycle on SQLite with tokens;
// it returns the server, the registry its metrics are on, a viewer's and
// a deployer's token, and a valid deploy request for orders.
func bundleServer(t *testing.T) (*httptest.Server, *prometheus.Registry, string, string, api.DeployRequest) {
	t.Helper()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := deploy.New(deploy.Options{Store: st, Starter: queueStarter{st}})
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(api.NewHandler(populated(), api.Options{Deploy: svc, Auth: api.TokenAuth{Tokens: svc}, Registerer: reg}))
	t.Cleanup(srv.Close)
	viewer, _, err := svc.CreateToken(t.Context(), "test", "vic", deploy.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	deployer, _, err := svc.CreateToken(t.Context(), "test", "ann", deploy.RoleDeployer)
	if err != nil {
		t.Fatal(err)
	}
	b, err := deploy.Collect(filepath.Join("..", "deploy", "testdata", "project"), "orders")
	if err != nil {
		t.Fatal(err)
	}
	return srv, reg, viewer, deployer, api.DeployRequest{Env: "staging", Bundles: []api.BundleBody{api.NewBundleBody(b)}}
}

// padded is v as JSON after n bytes of blanks: a valid body of any size.
func padded(t *testing.T, v any, n int) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Repeat(" ", n) + string(data)
}

type answer struct {
	status int
	header http.Header
	err    api.ErrorBody
	body   string
}

// post sends body as token; length -1 sends it chunked, of unknown length.
func post(t *testing.T, srv *httptest.Server, token, path string, body io.Reader, length int64) answer {
	t.Helper()
	// A server that waits for a body that never comes fails the test
	// rather than hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if c, ok := body.(io.Closer); ok {
		context.AfterFunc(ctx, func() { c.Close() }) // the transport waits on its body's Read
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+path, body)
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return answer{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(data)}
	_ = json.Unmarshal(data, &a.err)
	return a
}

// A viewer may diff a bundle but not send megabytes: a 2 MiB diff is 413,
// answered before the body is read (the body here never arrives), while
// a deployer's 2 MiB diff is compared.
func TestDiffBodyLimitByRole(t *testing.T) {
	t.Parallel()
	srv, reg, viewer, deployer, dr := bundleServer(t)
	const diff = "/api/v1/pipelines/orders/diff"
	diffReq := api.DiffRequest{Env: "staging", Bundle: &dr.Bundles[0]}
	big := padded(t, diffReq, 2<<20)

	// Declared 2 MiB, never sent: the answer cannot wait for the body.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	a := post(t, srv, viewer, diff, pr, int64(len(big)))
	if a.status != http.StatusRequestEntityTooLarge || a.err.Error != api.CodeTooLarge ||
		!strings.Contains(a.err.Message, "over 1 MiB") || !strings.Contains(a.err.Message, "deployer") {
		t.Errorf("a viewer's declared 2 MiB diff: %d %s, want 413 saying the 1 MiB limit and the role", a.status, a.body)
	}
	// Sent chunked, of no declared length: cut off at 1 MiB.
	if a := post(t, srv, viewer, diff, strings.NewReader(big), -1); a.status != http.StatusRequestEntityTooLarge ||
		a.err.Error != api.CodeTooLarge || !strings.Contains(a.err.Message, "over 1 MiB") {
		t.Errorf("a viewer's chunked 2 MiB diff: %d %s, want 413", a.status, a.body)
	}
	if a := post(t, srv, deployer, diff, strings.NewReader(big), int64(len(big))); a.status != http.StatusOK {
		t.Errorf("a deployer's 2 MiB diff: %d %s, want 200", a.status, a.body)
	}
	if a := post(t, srv, viewer, diff, strings.NewReader(padded(t, diffReq, 0)), -1); a.status != http.StatusOK {
		t.Errorf("a viewer's small diff: %d %s, want 200", a.status, a.body)
	}
	if n := metric(t, reg, "gantry_api_request_bodies_too_large_total", "POST /api/v1/pipelines/{name}/diff"); n != 2 {
		t.Errorf("gantry_api_request_bodies_too_large_total = %v, want 2", n)
	}
}

// Small routes take at most 1 MiB from anyone: 413, not 400.
func TestSmallRouteBodyLimit(t *testing.T) {
	t.Parallel()
	fake := populated()
	srv := newServer(t, fake)
	huge := `{"params":{"a":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`
	for _, length := range []int64{int64(len(huge)), -1} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/pipelines/orders/trigger", strings.NewReader(huge))
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), `"error":"too_large"`) ||
			!strings.Contains(string(data), "over 1 MiB") {
			t.Errorf("length %d: %d %s, want 413 too_large", length, resp.StatusCode, data)
		}
	}
	if m := fake.mutated(); m != nil {
		t.Errorf("an oversized request called %v", m)
	}
}

// At most api.MaxBundlesInFlight bundle-sized deploys are read at once:
// with two held open mid-body, a third is 429 with Retry-After at once,
// without waiting for its body; once they finish, another goes through.
func TestBundleRequestsInFlight(t *testing.T) {
	t.Parallel()
	srv, reg, _, deployer, dr := bundleServer(t)
	const route = "POST /api/v1/deployments"
	body := padded(t, dr, 0)
	type held struct {
		pw   *io.PipeWriter
		done chan answer
	}
	var open []held
	for range api.MaxBundlesInFlight {
		pr, pw := io.Pipe()
		t.Cleanup(func() { pw.Close() }) // before the server's Close, which waits for requests
		h := held{pw: pw, done: make(chan answer, 1)}
		go func() { h.done <- post(t, srv, deployer, "/api/v1/deployments", pr, -1) }()
		open = append(open, h)
		if _, err := io.WriteString(pw, "  "); err != nil { // under way: a few bytes of the body
			t.Fatal(err)
		}
	}
	waitMetric(t, reg, "gantry_api_bundle_requests_in_flight", route, api.MaxBundlesInFlight)

	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	a := post(t, srv, deployer, "/api/v1/deployments", pr, -1)
	if a.status != http.StatusTooManyRequests || a.err.Error != api.CodeBusy || a.header.Get("Retry-After") == "" {
		t.Fatalf("a third bundle-sized deploy: %d Retry-After %q %s, want 429 with Retry-After", a.status, a.header.Get("Retry-After"), a.body)
	}
	if n := metric(t, reg, "gantry_api_bundle_requests_refused_total", route); n != 1 {
		t.Errorf("gantry_api_bundle_requests_refused_total = %v, want 1", n)
	}
	// A small deploy (declared under 1 MiB) needs no slot.
	if a := post(t, srv, deployer, "/api/v1/deployments", strings.NewReader(body), int64(len(body))); a.status != http.StatusCreated {
		t.Errorf("a small deploy while two big ones are read: %d %s", a.status, a.body)
	}

	for _, h := range open {
		if _, err := io.WriteString(h.pw, body); err != nil {
			t.Fatal(err)
		}
		h.pw.Close()
		if a := <-h.done; a.status != http.StatusCreated {
			t.Errorf("a held deploy, released: %d %s", a.status, a.body)
		}
	}
	waitMetric(t, reg, "gantry_api_bundle_requests_in_flight", route, 0)
	if a := post(t, srv, deployer, "/api/v1/deployments", strings.NewReader(padded(t, dr, 2<<20)), -1); a.status != http.StatusCreated {
		t.Errorf("a bundle-sized deploy after the others ended: %d %s", a.status, a.body)
	}
}

// metric is the value of name{route=route} on reg, 0 when absent.
func metric(t *testing.T, reg *prometheus.Registry, name, route string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == route {
					if g := m.GetGauge(); g != nil {
						return g.GetValue()
					}
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// waitMetric polls until name{route} is want, for up to 10 seconds.
func waitMetric(t *testing.T, reg *prometheus.Registry, name, route string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for metric(t, reg, name, route) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s{route=%q} = %v, want %v", name, route, metric(t, reg, name, route), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
