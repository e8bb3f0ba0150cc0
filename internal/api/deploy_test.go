package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// deployOps are the operations TestDeployRoutes covers.
func deployOp(op string) bool {
	if taskApprovalOp(op) {
		return false // TestTaskApprovalRoutes covers them
	}
	for _, s := range []string{"/deployments", "/promote", "/rollback", "/revisions", "/diff", "/audit", "/tokens", "/readiness", "/sizing"} {
		if strings.Contains(op, s) {
			return true
		}
	}
	return false
}

// queueStarter queues staging runs in the store, as the server does; the
// test then ends them the way the server would after running them.
type queueStarter struct{ st store.Store }

func (q queueStarter) StartStaging(ctx context.Context, env string, rev record.Revision, b *deploy.Bundle) (record.Run, error) {
	run := record.Run{Pipeline: rev.Pipeline, Env: env, Revision: rev.Hash, Trigger: record.TriggerStaging,
		State: record.RunQueued, CreatedAt: time.Now()}
	tasks := []string{"all"}
	if p, err := spec.ParsePipeline(b.File, b.Files[b.File]); err == nil {
		tasks = tasks[:0]
		for _, t := range p.Tasks {
			tasks = append(tasks, t.ID)
		}
	}
	err := q.st.CreateRun(ctx, &run, tasks)
	return run, err
}

type deployFixture struct {
	t    *testing.T
	srv  *httptest.Server
	st   store.Store
	svc  *deploy.Service
	doc  *openAPIDoc
	seen map[string]bool
}

// call sends a request as token and checks the answer against the
// OpenAPI document: its status, and its body against the schema of route.
func (f *deployFixture) call(token, method, path, route string, body any, want int) string {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = strings.NewReader(string(data))
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if route == "" {
		route = path
	}
	if want/100 == 2 {
		f.seen[method+" "+route] = true
	}
	media := obj(obj(f.doc.response(method, route, want)["content"])["application/json"])
	if media == nil {
		if len(data) > 0 {
			f.t.Errorf("%s %s: %d has a body but openapi.yaml documents none", method, path, want)
		}
		return string(data)
	}
	if err := f.doc.validate(f.t, f.doc.compile(f.t, media), string(data)); err != nil {
		f.t.Errorf("%s %s: response does not match openapi.yaml: %v\n%s", method, path, err, data)
	}
	return string(data)
}

// people creates, as root, a token per user with its role over the API,
// and returns them by user.
func (f *deployFixture) people(root string, roles map[string]string) map[string]string {
	f.t.Helper()
	out := make(map[string]string, len(roles))
	for user, role := range roles {
		var tc api.TokenCreated
		body := f.call(root, "POST", "/api/v1/tokens", "", api.TokenRequest{User: user, Role: role}, 201)
		if err := json.Unmarshal([]byte(body), &tc); err != nil || !strings.HasPrefix(tc.Token, "gantry_") {
			f.t.Fatalf("token: %v %s", err, body)
		}
		out[user] = tc.Token
	}
	return out
}

func (f *deployFixture) endStaging(runID int64, state record.RunState) {
	f.t.Helper()
	run, err := f.st.GetRun(f.t.Context(), runID)
	if err != nil {
		f.t.Fatal(err)
	}
	run.State, run.FinishedAt = state, time.Now()
	rts, err := f.st.ListRunTasks(f.t.Context(), runID)
	if err != nil {
		f.t.Fatal(err)
	}
	b := &store.Batch{Run: &run}
	for _, rt := range rts {
		rt.State, rt.UpdatedAt = record.TaskFailed, run.FinishedAt
		if state == record.RunSucceeded {
			rt.State = record.TaskSucceeded
		}
		b.Tasks = append(b.Tasks, rt)
	}
	if err := f.st.Apply(f.t.Context(), b); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.RunFinished(f.t.Context(), run); err != nil {
		f.t.Fatal(err)
	}
}

// The deploy routes with the real deploy lifecycle on a real store:
// every answer matches the OpenAPI document, roles are enforced, and the
// author of a deployment cannot approve it.
func TestDeployRoutes(t *testing.T) {
	t.Parallel()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := deploy.New(deploy.Options{Store: st, Starter: queueStarter{st}})
	srv := httptest.NewServer(api.NewHandler(populated(), api.Options{Deploy: svc, Auth: api.TokenAuth{Tokens: svc}}))
	defer srv.Close()
	f := &deployFixture{t: t, srv: srv, st: st, svc: svc, doc: loadOpenAPI(t), seen: map[string]bool{}}

	root, _, err := svc.CreateToken(t.Context(), "bootstrap", "root", deploy.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	tokens := f.people(root, map[string]string{"ann": "deployer", "carol": "approver", "vic": "viewer"})
	f.call(root, "POST", "/api/v1/tokens", "", api.TokenRequest{User: "x", Role: "god"}, 400)
	f.call(tokens["ann"], "GET", "/api/v1/tokens", "", nil, 403)
	tl := f.call(root, "GET", "/api/v1/tokens", "", nil, 200)
	if strings.Contains(tl, tokens["ann"]) {
		t.Error("the token list shows a token's secret")
	}

	dir := filepath.Join("..", "deploy", "testdata", "project")
	b, err := deploy.Collect(dir, "orders")
	if err != nil {
		t.Fatal(err)
	}
	req := api.DeployRequest{Env: "staging", Message: "first", Bundles: []api.BundleBody{api.NewBundleBody(b)}}
	f.call(tokens["vic"], "POST", "/api/v1/deployments", "", req, 403)
	var res api.DeployResults
	if err := json.Unmarshal([]byte(f.call(tokens["ann"], "POST", "/api/v1/deployments", "", req, 201)), &res); err != nil {
		t.Fatal(err)
	}
	r0 := res.Results[0]
	if r0.StagingRun == nil || r0.Deployment.State != record.DeploymentActive || r0.Revision.Hash != b.Hash {
		t.Fatalf("deploy to staging = %+v", r0)
	}
	f.endStaging(r0.StagingRun.ID, record.RunSucceeded)
	dpath := "/api/v1/deployments/" + strconv.FormatInt(r0.Deployment.ID, 10)
	f.call(tokens["vic"], "GET", dpath, "/api/v1/deployments/{id}", nil, 200)
	if body := f.call(tokens["vic"], "GET", "/api/v1/pipelines/orders/revisions", "/api/v1/pipelines/{name}/revisions", nil, 200); !strings.Contains(body, `"staging_state":"succeeded"`) {
		t.Errorf("the staging run's result is not on the revision: %s", body)
	}

	// Readiness of what a promotion to prod would bring: NOT READY while
	// its channel never took a test alert; READY once it did.
	rpath := "/api/v1/pipelines/orders/readiness?env=prod"
	var rep readiness.Report
	if err := json.Unmarshal([]byte(f.call(tokens["vic"], "GET", rpath, "/api/v1/pipelines/{name}/readiness", nil, 200)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Ready || !slices.ContainsFunc(rep.Reasons, func(s string) bool { return strings.HasPrefix(s, "test_fires: channel oncall never took a test alert") }) {
		t.Errorf("readiness before a test-fire: %s %q", rep.Verdict, rep.Reasons)
	}
	if err := st.CreateTestFire(t.Context(), &record.TestFire{Route: "data-oncall", Actor: "sre", At: time.Now(), OK: true, Channels: []string{"oncall"}}, nil); err != nil {
		t.Fatal(err)
	}
	rep = readiness.Report{}
	if err := json.Unmarshal([]byte(f.call(tokens["vic"], "GET", rpath, "/api/v1/pipelines/{name}/readiness", nil, 200)), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Ready || rep.Verdict != readiness.VerdictReady {
		t.Errorf("readiness after a test-fire: %s %q", rep.Verdict, rep.Reasons)
	}
	if body := f.call(tokens["vic"], "GET", "/api/v1/readiness?env=prod", "/api/v1/readiness", nil, 200); !strings.Contains(body, `"pipeline":"orders"`) {
		t.Errorf("readiness of every pipeline: %s", body)
	}
	if body := f.call(tokens["vic"], "GET", "/api/v1/pipelines/orders/sizing?env=prod&last=5", "/api/v1/pipelines/{name}/sizing", nil, 200); !strings.Contains(body, `"task":"load"`) {
		t.Errorf("sizing: %s", body)
	}
	f.call(tokens["vic"], "GET", "/api/v1/pipelines/orders/readiness", "/api/v1/pipelines/{name}/readiness", nil, 400)
	f.call(tokens["vic"], "GET", "/api/v1/pipelines/orders/sizing?env=prod&last=0", "/api/v1/pipelines/{name}/sizing", nil, 400)
	f.call(tokens["vic"], "GET", "/api/v1/pipelines/nope/readiness?env=prod", "/api/v1/pipelines/{name}/readiness", nil, 404)

	// Promote to prod: pending approval; the author may not approve.
	var pr api.DeployResultView
	body := f.call(tokens["ann"], "POST", "/api/v1/pipelines/orders/promote", "/api/v1/pipelines/{name}/promote",
		api.PromoteRequest{From: "staging", To: "prod"}, 201)
	if err := json.Unmarshal([]byte(body), &pr); err != nil || pr.Deployment.State != record.DeploymentPending {
		t.Fatalf("promote: %v %s", err, body)
	}
	apath := fmt.Sprintf("/api/v1/deployments/%d/approve", pr.Deployment.ID)
	f.call(tokens["ann"], "POST", apath, "/api/v1/deployments/{id}/approve", api.ApproveRequest{}, 403) // a deployer
	f.call(root, "POST", apath, "/api/v1/deployments/{id}/approve", api.ApproveRequest{}, 403)          // root may approve, but is not a listed approver
	body = f.call(tokens["carol"], "POST", apath, "/api/v1/deployments/{id}/approve", api.ApproveRequest{Comment: "lgtm"}, 200)
	if !strings.Contains(body, `"state":"active"`) {
		t.Errorf("approved deployment not active: %s", body)
	}
	// Its approvers reviewed the readiness report attached to it.
	var dv api.DeploymentView
	_ = json.Unmarshal([]byte(f.call(tokens["vic"], "GET", fmt.Sprintf("/api/v1/deployments/%d", pr.Deployment.ID), "/api/v1/deployments/{id}", nil, 200)), &dv)
	if dv.Readiness == nil || !dv.Readiness.Ready || !slices.Contains(dv.Gates, "readiness") {
		t.Errorf("deployment to prod: gates %q, readiness %+v", dv.Gates, dv.Readiness)
	}

	// A second revision to staging, a diff, a rollback, a rejection.
	b2 := *b
	b2.Files = map[string][]byte{}
	for k, v := range b.Files {
		b2.Files[k] = v
	}
	b2.Files["scripts/load.sh"] = append(append([]byte{}, b.Files["scripts/load.sh"]...), []byte("echo more\n")...)
	b2.Hash = deploy.Hash(b2.Files)
	diff := f.call(tokens["vic"], "POST", "/api/v1/pipelines/orders/diff", "/api/v1/pipelines/{name}/diff",
		api.DiffRequest{Env: "staging", Bundle: ptr(api.NewBundleBody(&b2))}, 200)
	if !strings.Contains(diff, `"risk":"L2"`) || !strings.Contains(diff, "scripts/load.sh") {
		t.Errorf("diff of a script change: %s", diff)
	}
	f.call(tokens["ann"], "POST", "/api/v1/deployments", "", api.DeployRequest{Env: "staging", Bundles: []api.BundleBody{api.NewBundleBody(&b2)}}, 201)
	f.call(tokens["vic"], "GET", "/api/v1/pipelines/orders/revisions", "/api/v1/pipelines/{name}/revisions", nil, 200)
	f.call(tokens["vic"], "GET", "/api/v1/deployments?pipeline=orders&state=pending,active", "/api/v1/deployments", nil, 200)
	pending := f.call(tokens["ann"], "POST", "/api/v1/pipelines/orders/promote", "/api/v1/pipelines/{name}/promote",
		api.PromoteRequest{From: "staging", To: "prod"}, 201)
	var pp api.DeployResultView
	_ = json.Unmarshal([]byte(pending), &pp)
	f.call(tokens["carol"], "POST", fmt.Sprintf("/api/v1/deployments/%d/reject", pp.Deployment.ID), "/api/v1/deployments/{id}/reject",
		api.RejectRequest{Reason: "not during the freeze"}, 200)
	f.call(tokens["ann"], "POST", "/api/v1/pipelines/orders/rollback", "/api/v1/pipelines/{name}/rollback",
		api.RollbackRequest{Env: "staging", Reason: "bad script"}, 200)
	f.call(tokens["ann"], "POST", "/api/v1/pipelines/orders/rollback", "/api/v1/pipelines/{name}/rollback",
		api.RollbackRequest{Env: "staging"}, 400)

	// A bundle the gate refuses: 422 with the findings, and nothing stored.
	bad := *b
	bad.Files = map[string][]byte{}
	for k, v := range b.Files {
		bad.Files[k] = v
	}
	bad.Files["scripts/load.sh"] = []byte("#!/bin/sh\npsql postgres://loader:Sup3rS3cret@db/warehouse -c 'select 1'\n")
	revsBefore, _ := st.ListRevisions(t.Context(), "orders", -1)
	body = f.call(tokens["ann"], "POST", "/api/v1/deployments", "", api.DeployRequest{Env: "staging", Bundles: []api.BundleBody{api.NewBundleBody(&bad)}}, 422)
	if !strings.Contains(body, "hardcoded-secret") || strings.Contains(body, "Sup3rS3cret") {
		t.Errorf("gate refusal: %s", body)
	}
	if revs, _ := st.ListRevisions(t.Context(), "orders", -1); len(revs) != len(revsBefore) {
		t.Errorf("a refused deploy stored a revision: %d → %d", len(revsBefore), len(revs))
	}

	audit := f.call(tokens["vic"], "GET", "/api/v1/audit?pipeline=orders", "/api/v1/audit", nil, 200)
	for _, want := range []string{`"action":"deploy"`, `"action":"approve"`, `"actor":"carol"`, `"action":"reject"`, `"action":"rollback"`, `"action":"promote"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	var tlv api.TokenList
	_ = json.Unmarshal([]byte(tl), &tlv)
	for _, tv := range tlv.Tokens {
		if tv.User == "vic" {
			f.call(root, "POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tv.ID), "/api/v1/tokens/{id}/revoke", nil, 204)
		}
	}
	f.call(tokens["vic"], "GET", "/api/v1/audit", "", nil, 401)
	f.call(tokens["ann"], "GET", "/api/v1/audit", "", nil, 200)

	for _, op := range f.doc.operations() {
		if deployOp(op) && !f.seen[op] {
			t.Errorf("%s: no successful call checked against openapi.yaml", op)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Malformed deploy requests are refused with 400 naming the field, and
// leave the store as it was: no revision, deployment or audit event.
func TestDeployMalformedRequests(t *testing.T) {
	t.Parallel()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := deploy.New(deploy.Options{Store: st, Starter: queueStarter{st}})
	srv := httptest.NewServer(api.NewHandler(populated(), api.Options{Deploy: svc}))
	defer srv.Close()
	b, err := deploy.Collect(filepath.Join("..", "deploy", "testdata", "project"), "orders")
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(api.NewBundleBody(b))
	escape := strings.Replace(string(good), `"scripts/load.sh"`, `"../../etc/cron.d/x"`, 1)
	for _, tc := range []struct{ name, path, body, field string }{
		{"not JSON", "/api/v1/deployments", `{"env":`, ""},
		{"unknown field", "/api/v1/deployments", `{"env":"staging","bundles":[],"force":true}`, "force"},
		{"no env", "/api/v1/deployments", `{"bundles":[` + string(good) + `]}`, "env"},
		{"no bundles", "/api/v1/deployments", `{"env":"staging","bundles":[]}`, "bundles"},
		{"a path out of the project", "/api/v1/deployments", `{"env":"staging","bundles":[` + escape + `]}`, "bundles.files"},
		{"files not base64", "/api/v1/deployments", `{"env":"staging","bundles":[{"pipeline":"orders","file":"pipelines/orders.yaml","files":{"gantry.yaml":"%%%"}}]}`, "bundles.files.gantry.yaml"},
		{"unknown environment", "/api/v1/deployments", `{"env":"moon","bundles":[` + string(good) + `]}`, ""},
		{"promote without to", "/api/v1/pipelines/orders/promote", `{"from":"staging"}`, "to"},
		{"rollback without reason", "/api/v1/pipelines/orders/rollback", `{"env":"prod"}`, "reason"},
		{"reject without reason", "/api/v1/deployments/1/reject", `{}`, "reason"},
		{"diff with both", "/api/v1/pipelines/orders/diff", `{"env":"prod","to":"abcd","bundle":` + string(good) + `}`, "to"},
		{"token without user", "/api/v1/tokens", `{"role":"admin"}`, "user"},
		{"audit since not a time", "/api/v1/audit?since=yesterday", ``, "since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == "" {
				method = "GET"
			}
			req, _ := http.NewRequest(method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, data)
			}
			var e api.ErrorBody
			if err := json.Unmarshal(data, &e); err != nil || e.Message == "" {
				t.Fatalf("not the error shape: %s", data)
			}
			if tc.field != "" && e.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", e.Field, tc.field, e.Message)
			}
		})
	}
	if evs, _ := st.ListAudit(t.Context(), store.AuditFilter{Limit: -1}); len(evs) != 0 {
		t.Errorf("malformed requests changed the audit log: %+v", evs)
	}
	if revs, _ := st.ListRevisions(t.Context(), "orders", -1); len(revs) != 0 {
		t.Errorf("malformed requests stored revisions: %+v", revs)
	}
}
