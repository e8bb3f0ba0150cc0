package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// A NUL byte in any string of a deploy request, or a bundle file name a
// file system cannot hold, is a 400 naming the field on every store — on
// PostgreSQL it used to reach a text column and come back as a 500 — and
// the request changes nothing: no revision, deployment, audit event or
// token.
func TestDeployRefusesUnstorableText(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		svc := deploy.New(deploy.Options{Store: st, Starter: queueStarter{st}})
		srv := httptest.NewServer(api.NewHandler(populated(), api.Options{Deploy: svc}))
		defer srv.Close()
		b, err := deploy.Collect(filepath.Join("..", "deploy", "testdata", "project"), "orders")
		if err != nil {
			t.Fatal(err)
		}
		send := func(user, path string, body any) (int, api.ErrorBody, string) {
			data, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(string(data)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(api.UserHeader, user)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var e api.ErrorBody
			_ = json.Unmarshal(raw, &e)
			return resp.StatusCode, e, string(raw)
		}
		must := func(user, path string, body any, want int) {
			t.Helper()
			if status, _, raw := send(user, path, body); status != want {
				t.Fatalf("%s: %d, want %d: %s", path, status, want, raw)
			}
		}
		withFile := func(name string) api.BundleBody {
			bb := api.NewBundleBody(b)
			files := map[string]string{name: "ZWNobyBoaQo="}
			for k, v := range bb.Files {
				files[k] = v
			}
			bb.Files = files
			return bb
		}
		staging := func(bb api.BundleBody, msg string) api.DeployRequest {
			return api.DeployRequest{Env: "staging", Message: msg, Bundles: []api.BundleBody{bb}}
		}
		good := api.NewBundleBody(b)

		// A pending deployment to prod, to approve and reject.
		var res api.DeployResults
		_, _, raw := send("ann", "/api/v1/deployments", staging(good, "first"))
		if err := json.Unmarshal([]byte(raw), &res); err != nil || len(res.Results) != 1 || res.Results[0].StagingRun == nil {
			t.Fatalf("deploy: %v %s", err, raw)
		}
		endStaging(t, st, svc, res.Results[0].StagingRun.ID)
		var pending api.DeployResultView
		_, _, raw = send("ann", "/api/v1/pipelines/orders/promote", api.PromoteRequest{From: "staging", To: "prod"})
		if err := json.Unmarshal([]byte(raw), &pending); err != nil || pending.Deployment.State != record.DeploymentPending {
			t.Fatalf("promote: %v %s", err, raw)
		}
		dep := fmt.Sprintf("/api/v1/deployments/%d", pending.Deployment.ID)
		long := strings.Repeat("a/", 2999) + "x.sh" // 6,002 bytes
		for _, tc := range []struct {
			name, user, path string
			body             any
			field, says      string
		}{
			{"NUL in a file name", "ann", "/api/v1/deployments", staging(withFile("scripts/x\x00.sh"), ""), "bundles.files", "NUL"},
			{"6,000-byte file name", "ann", "/api/v1/deployments", staging(withFile(long), ""), "bundles.files", "over 1024"},
			{"300-byte name", "ann", "/api/v1/deployments", staging(withFile("scripts/"+strings.Repeat("n", 300)), ""), "bundles.files", "over 255"},
			{"newline in a file name", "ann", "/api/v1/deployments", staging(withFile("scripts/x\n.sh"), ""), "bundles.files", "control character"},
			{"tab in a file name", "ann", "/api/v1/deployments", staging(withFile("scripts/\tx.sh"), ""), "bundles.files", "control character"},
			{"NUL in a context file name", "ann", "/api/v1/deployments",
				staging(api.BundleBody{Pipeline: good.Pipeline, File: good.File, Files: good.Files, Context: map[string]string{"pipelines/up\x00.yaml": ""}}, ""),
				"bundles.context", "NUL"},
			{"NUL in a diff's file name", "vic", "/api/v1/pipelines/orders/diff",
				api.DiffRequest{Env: "staging", Bundle: ptr(withFile("scripts/\x00"))}, "bundle.files", "NUL"},
			{"NUL in a deploy message", "ann", "/api/v1/deployments", staging(good, "fix\x00"), "message", "NUL"},
			{"NUL in a pipeline name", "ann", "/api/v1/deployments",
				staging(api.BundleBody{Pipeline: "orders\x00", File: good.File, Files: good.Files}, ""), "bundles.pipeline", "NUL"},
			{"NUL in a promote message", "ann", "/api/v1/pipelines/orders/promote", api.PromoteRequest{From: "staging", To: "prod", Message: "\x00"}, "message", "NUL"},
			{"NUL in a rollback reason", "ann", "/api/v1/pipelines/orders/rollback", api.RollbackRequest{Env: "staging", Reason: "bad\x00"}, "reason", "NUL"},
			{"NUL in an approval comment", "carol", dep + "/approve", api.ApproveRequest{Comment: "ok\x00"}, "comment", "NUL"},
			{"NUL in a rejection reason", "carol", dep + "/reject", api.RejectRequest{Reason: "no\x00"}, "reason", "NUL"},
			{"NUL in a token's user", "root", "/api/v1/tokens", api.TokenRequest{User: "eve\x00", Role: "viewer"}, "user", "NUL"},
		} {
			before := snapshot(t, st)
			status, e, raw := send(tc.user, tc.path, tc.body)
			if status != http.StatusBadRequest || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
				t.Errorf("%s: %d field %q, want 400 field %q saying %q: %s", tc.name, status, e.Field, tc.field, tc.says, raw)
			}
			if len(raw) > 1000 {
				t.Errorf("%s: the error is %d bytes long", tc.name, len(raw))
			}
			if after := snapshot(t, st); after != before {
				t.Errorf("%s changed the store:\n before %s\n after  %s", tc.name, before, after)
			}
		}
		// The same requests without the bad byte work.
		must("carol", dep+"/reject", api.RejectRequest{Reason: "no"}, 200)
		must("root", "/api/v1/tokens", api.TokenRequest{User: "eve", Role: "viewer"}, 201)
	})
}

// snapshot sums up what the deploy routes write.
func snapshot(t *testing.T, st store.Store) string {
	t.Helper()
	ctx := t.Context()
	revs, err := st.ListRevisions(ctx, "orders", -1)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := st.ListDeployments(ctx, store.DeploymentFilter{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListAudit(ctx, store.AuditFilter{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := st.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, d := range deps {
		states = append(states, string(d.State))
	}
	return fmt.Sprintf("%d revisions, deployments %v, %d audit events, %d tokens", len(revs), states, len(evs), len(toks))
}

// endStaging ends a staging run as succeeded, as the server does after
// running it.
func endStaging(t *testing.T, st store.Store, svc *deploy.Service, runID int64) {
	t.Helper()
	f := &deployFixture{t: t, st: st, svc: svc}
	f.endStaging(runID, record.RunSucceeded)
}

// An acting-user header that is not UTF-8 is refused before anything runs
// as that user (the user goes to the audit log's text column).
func TestActorHeaderMustBeText(t *testing.T) {
	t.Parallel()
	fake := populated()
	srv := newServer(t, fake)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/pipelines/orders/trigger", nil)
	req.Header.Set(api.UserHeader, "al\xffice")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), api.UserHeader) {
		t.Errorf("%d: %s, want 400 naming %s", resp.StatusCode, raw, api.UserHeader)
	}
	if m := fake.mutated(); m != nil {
		t.Errorf("called %v", m)
	}
}
