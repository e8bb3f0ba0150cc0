package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/approval"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// taskApprovalOp reports whether op is one TestTaskApprovalRoutes covers.
func taskApprovalOp(op string) bool {
	return strings.Contains(op, "/approvals") || strings.Contains(op, "/tasks/{task}/") || strings.Contains(op, "/releases")
}

// The approval-task routes on a real store, a real deploy service and a
// real engine run: roles are enforced, the person who started the run
// cannot approve it, a hostile task name is refused, what is approved is
// shown, and the approval lets the run go on.
func TestTaskApprovalRoutes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := storesqlite.Open(t.Context(), filepath.Join(dir, "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	proc, err := process.New(process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	ax := approval.New(st, time.Second) // the service kicks it; the poll is the safety net
	eng := engine.New(engine.Config{Store: st, Executors: executor.Set{process.Kind: proc, spec.KindApproval: ax}, LogDir: filepath.Join(dir, "logs")})
	svc := deploy.New(deploy.Options{Store: st, Kick: ax.Kick})
	fake := populated()
	var asked api.ReleaseRollbackRequest
	fake.RollbackReleaseFunc = func(_ context.Context, req api.ReleaseRollbackRequest) (record.Run, error) {
		asked = req
		return record.Run{ID: 40, Pipeline: req.Pipeline, Env: req.Env, Trigger: record.TriggerRollback, State: record.RunQueued,
			TriggeredBy: req.Actor, RollbackTo: 1, CreatedAt: time.Now()}, nil
	}
	srv := httptest.NewServer(api.NewHandler(fake, api.Options{Deploy: svc, Auth: api.TokenAuth{Tokens: svc}}))
	defer srv.Close()
	f := &deployFixture{t: t, srv: srv, st: st, svc: svc, doc: loadOpenAPI(t), seen: map[string]bool{}}
	root, _, err := svc.CreateToken(t.Context(), "bootstrap", "root", deploy.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	tokens := f.people(root, map[string]string{"carol": "approver", "vic": "viewer", "dan": "approver"})

	p := &spec.Pipeline{Name: "ship", Params: []spec.Param{{Name: "version", HasDefault: true, Default: "1.4.2"}}, Tasks: []spec.Task{
		{ID: "build", Run: `echo "version=$GANTRY_PARAM_VERSION" > "$GANTRY_OUTPUT"; echo "digest=sha256:abc" >> "$GANTRY_OUTPUT"`},
		{ID: "approve_prod", Kind: spec.KindApproval, Needs: []string{"build"}, Timeout: time.Hour,
			Approval: &spec.Approval{Required: 1, Approvers: []string{"carol", "root"}}},
		{ID: "deploy_prod", Needs: []string{"approve_prod"}, Environment: "prod", Run: "true"},
	}}
	done := make(chan record.Run, 1)
	go func() {
		run, err := eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: dir, Env: "prod", Revision: "abc",
			TriggeredBy: "root", Environments: map[string]engine.Environment{"prod": {Protected: true}}})
		if err != nil {
			t.Error(err)
		}
		done <- run
	}()
	runID := waitApproval(t, st, "approve_prod")
	base := "/api/v1/runs/" + strconv.FormatInt(runID, 10)
	approve, reject := base+"/tasks/approve_prod/approve", base+"/tasks/approve_prod/reject"
	const aRoute, rRoute = "/api/v1/runs/{id}/tasks/{task}/approve", "/api/v1/runs/{id}/tasks/{task}/reject"

	var list api.TaskApprovalList
	if err := json.Unmarshal([]byte(f.call(tokens["vic"], "GET", base+"/approvals", "/api/v1/runs/{id}/approvals", nil, 200)), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Approvals) != 1 {
		t.Fatalf("approvals: %+v", list)
	}
	q := list.Approvals[0]
	if !q.Waiting || q.TriggeredBy != "root" || q.Params["version"] != "1.4.2" || len(q.Guards) != 1 || q.Guards[0] != "prod" ||
		len(q.Before) != 1 || q.Before[0].Task != "build" || len(q.Before[0].Outputs) != 2 || q.Before[0].Outputs[1].Value != "sha256:abc" {
		t.Errorf("what is approved is not shown: %+v", q)
	}

	for _, c := range []struct{ who, token, why string }{
		{"a viewer", tokens["vic"], "role viewer"},
		{"the run's starter", root, "you started run"},
		{"an unlisted approver", tokens["dan"], "dan may not approve approve_prod"},
	} {
		if body := f.call(c.token, "POST", approve, aRoute, api.TaskDecisionRequest{}, 403); !strings.Contains(body, c.why) {
			t.Errorf("%s: %s, want it to say %q", c.who, body, c.why)
		}
	}
	f.call(tokens["carol"], "POST", approve, aRoute, api.TaskDecisionRequest{Comment: strings.Repeat("x", deploy.MaxDecisionText+1)}, 400)
	f.call(tokens["carol"], "POST", reject, rRoute, api.TaskDecisionRequest{}, 400) // no reason
	f.call(tokens["carol"], "POST", base+"/tasks/no_such_task/approve", aRoute, api.TaskDecisionRequest{}, 404)
	f.call(tokens["carol"], "POST", base+"/tasks/a%20b%3B/approve", aRoute, api.TaskDecisionRequest{}, 400)
	f.call(tokens["carol"], "POST", base+"/tasks/"+strings.Repeat("a", 129)+"/approve", aRoute, api.TaskDecisionRequest{}, 400)
	f.call(tokens["carol"], "POST", base+"/tasks/.hidden/approve", aRoute, api.TaskDecisionRequest{}, 400)
	f.call(tokens["carol"], "POST", base+"/tasks/"+strings.Repeat("a", 128)+"/approve", aRoute, api.TaskDecisionRequest{}, 404) // a name, of no task
	f.call(tokens["carol"], "POST", "/api/v1/runs/99999/tasks/approve_prod/approve", aRoute, api.TaskDecisionRequest{}, 404)
	if err := json.Unmarshal([]byte(f.call(tokens["carol"], "GET", base+"/approvals", "/api/v1/runs/{id}/approvals", nil, 200)), &list); err != nil || len(list.Approvals[0].Decisions) != 0 {
		t.Fatalf("refused decisions were recorded: %+v %v", list, err)
	}

	var got api.TaskApprovalView
	if err := json.Unmarshal([]byte(f.call(tokens["carol"], "POST", approve, aRoute, api.TaskDecisionRequest{Comment: "release notes read"}, 200)), &got); err != nil {
		t.Fatal(err)
	}
	if got.State != record.ApprovalApproved || len(got.ApprovedBy) != 1 || got.ApprovedBy[0] != "carol" {
		t.Errorf("after carol's approval: %+v", got)
	}
	select {
	case run := <-done:
		if run.State != record.RunSucceeded {
			t.Errorf("run %s %q after the approval", run.State, run.Error)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not go on after the approval")
	}
	f.call(tokens["carol"], "POST", approve, aRoute, api.TaskDecisionRequest{}, 409) // decided
	f.call(tokens["carol"], "POST", reject, rRoute, api.TaskDecisionRequest{Reason: "too late"}, 409)

	evs, err := st.ListAudit(t.Context(), store.AuditFilter{Pipeline: "ship"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Actor != "carol" || evs[0].Action != record.AuditTaskApprove || evs[0].Reason != "release notes read" {
		t.Errorf("audit: %+v, want carol's approval alone", evs)
	}

	// A second run, rejected: it fails, saying who rejected it and why.
	go func() {
		run, err := eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: dir, Env: "prod", Revision: "abc",
			TriggeredBy: "root", Environments: map[string]engine.Environment{"prod": {Protected: true}}})
		if err != nil {
			t.Error(err)
		}
		done <- run
	}()
	for {
		id := waitApproval(t, st, "approve_prod")
		if id != runID {
			runID = id
			break
		}
	}
	reject = "/api/v1/runs/" + strconv.FormatInt(runID, 10) + "/tasks/approve_prod/reject"
	if err := json.Unmarshal([]byte(f.call(tokens["carol"], "POST", reject, rRoute, api.TaskDecisionRequest{Reason: "CVE in the base image"}, 200)), &got); err != nil {
		t.Fatal(err)
	}
	if got.State != record.ApprovalRejected || got.Reason != "CVE in the base image" {
		t.Errorf("after the rejection: %+v", got)
	}
	select {
	case run := <-done:
		if run.State != record.RunFailed || !strings.Contains(run.Error, "rejected by carol: CVE in the base image") {
			t.Errorf("rejected run: %s %q", run.State, run.Error)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the rejected run did not end")
	}
	// What the first run shipped, as the deploy lifecycle records it.
	if err := st.CreateRelease(t.Context(), &record.Release{Pipeline: "ship", Env: "prod", RunID: runID - 1, Revision: "abc",
		Kind: record.ReleaseDeploy, Succeeded: true, Params: map[string]string{"version": "1.4.2"},
		Outputs: []record.TaskOutput{{Task: "build", Key: "digest", Value: "sha256:abc"}}, ApprovedBy: []string{"carol"}, TriggeredBy: "root"}, nil); err != nil {
		t.Fatal(err)
	}
	var rels api.ReleaseList
	if err := json.Unmarshal([]byte(f.call(tokens["vic"], "GET", "/api/v1/pipelines/ship/releases?env=prod", "/api/v1/pipelines/{name}/releases", nil, 200)), &rels); err != nil {
		t.Fatal(err)
	}
	if len(rels.Releases) != 1 || rels.Releases[0].ApprovedBy[0] != "carol" || rels.Releases[0].Outputs[0].Value != "sha256:abc" {
		t.Errorf("releases: %+v", rels)
	}
	f.call(tokens["vic"], "GET", "/api/v1/pipelines/ship/releases", "/api/v1/pipelines/{name}/releases", nil, 400)
	const rbRoute = "/api/v1/pipelines/{name}/releases/rollback"
	f.call(tokens["carol"], "POST", "/api/v1/pipelines/ship/releases/rollback", rbRoute, map[string]any{"env": "prod", "reason": "x"}, 403) // an approver
	f.call(root, "POST", "/api/v1/pipelines/ship/releases/rollback", rbRoute, map[string]any{"env": "prod"}, 400)                           // no reason
	f.call(root, "POST", "/api/v1/pipelines/ship/releases/rollback", rbRoute, map[string]any{"env": "prod", "reason": "x", "to": -1}, 400)
	f.call(root, "POST", "/api/v1/pipelines/ship/releases/rollback", rbRoute, map[string]any{"env": "prod", "reason": "x", "nope": 1}, 400)
	f.call(root, "POST", "/api/v1/pipelines/ship/releases/rollback", rbRoute, map[string]any{"env": "prod", "reason": "v2 breaks reports", "to": 1}, 201)
	if asked.Actor != "root" || asked.Pipeline != "ship" || asked.To != 1 {
		t.Errorf("the rollback asked for %+v, want root's, of ship, to release 1", asked)
	}
	for _, op := range f.doc.operations() {
		if taskApprovalOp(op) && !f.seen[op] {
			t.Errorf("%s: no successful call checked against openapi.yaml", op)
		}
	}
}

// waitApproval polls the store until some run has the approval of task
// open, and returns that run.
func waitApproval(t *testing.T, st store.Store, task string) int64 {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		runs, err := st.ListRuns(t.Context(), store.RunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs { // newest first
			if as, _ := st.ListTaskApprovals(t.Context(), r.ID); len(as) > 0 && as[0].Task == task && as[0].State == record.ApprovalWaiting {
				return r.ID
			}
		}
	}
	t.Fatalf("no approval of %s opened", task)
	return 0
}
