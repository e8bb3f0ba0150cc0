package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

// releaseTasks makes the orders pipeline of the deploy test project a
// small release: extract runs everywhere; an approval stands before the
// load, which goes into protected prod.
const releaseTasks = `tasks:
  - id: extract
    run: ./scripts/extract.sh
  - id: deploy_staging
    needs: [extract]
    environment: {name: staging, ephemeral: true}
    run: 'echo app > "$GANTRY_ENV_DIR/app" && echo "dir=$GANTRY_ENV_DIR" >> "$GANTRY_OUTPUT"'
  - id: teardown_staging
    needs: [deploy_staging, approve_prod]
    environment: {name: staging, ephemeral: true}
    teardown: true
    run: 'echo "saw=$(ls "$GANTRY_ENV_DIR")@$GANTRY_ENV_NAME" >> "$GANTRY_OUTPUT"'

  - id: approve_prod
    kind: approval
    needs: [extract]
    approval: {required: 1, approvers: [alice, bob, dave, erin]}
    timeout: 1h
  - id: load
    needs: [approve_prod]
    environment: prod
    run: sh scripts/load.sh "{{ .Params.target }}" && echo "shipped={{ .Outputs.extract.digest }}@{{ .Params.target }}" >> "$GANTRY_OUTPUT"
    timeout: 20m
  - id: smoke_prod
    needs: [load]
    environment: prod
    run: '[ "{{ .Params.target }}" != broken_smoke ] || { echo "smoke test failed on {{ .Params.target }}" >&2; exit 1; }'
    retries: 1  # gantry:ignore task-retries a smoke test answers once
`

// An approval task on a real server (gantry serve --env prod), through
// the CLI with people's own tokens: the staging run skips what goes into
// prod and the approval guarding it; the prod run stops at the approval,
// shows what is being approved, refuses the person who started it and a
// person not listed; survives a kill -9 of the server still waiting;
// goes on once another person approves; a second run is rejected and
// fails; without the server nobody can approve, whoever they claim to
// be; the audit log has each decision with its actor.
func TestApprovalTaskEndToEnd(t *testing.T) {
	t.Parallel()
	rs := newReleaseServer(t)
	s, dir, env, admin, tokens := rs.s, rs.dir, rs.env, rs.admin, rs.tokens
	alice, bob, carol := s.as(tokens["alice"]), s.as(tokens["bob"]), s.as(tokens["carol"])
	st := runTasks(t, s, admin, rs.staging)
	if st["extract"] != "succeeded" || st["approve_prod"] != "skipped" || st["load"] != "skipped" {
		t.Errorf("staging run tasks: %v, want extract succeeded and the rest skipped", st)
	}
	var r result

	// Prod: the run waits at the approval.
	alice.must("trigger", "orders")
	id := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	r = bob.must("approvals", fmt.Sprint(id))
	wantContains(t, "what is approved", r.stdout, "approve_prod (run "+fmt.Sprint(id)+"): WAITING, 0 of 1 approval(s) from alice, bob, dave",
		"guards:    prod (protected)", "started by alice", "target=warehouse", "extract", "version=1.4.2", "digest=sha256:5f1d",
		"gantry approve run "+fmt.Sprint(id)+" approve_prod")
	r = alice.gantry("approve", "run", fmt.Sprint(id), "approve_prod")
	wantCode(t, r, 4)
	wantContains(t, "self-approval", r.stderr, "you started run", "another person must approve")
	r = carol.gantry("approve", "run", fmt.Sprint(id), "approve_prod")
	wantCode(t, r, 4)
	wantContains(t, "an approver not listed", r.stderr, "carol may not approve approve_prod", "approvers: alice, bob, dave, erin")
	r = bob.gantry("approve", "run", fmt.Sprint(id), "no_such_task")
	if r.code == 0 {
		t.Errorf("approving a task that does not exist: %s", r)
	}

	// kill -9 while it waits: after the restart it still waits, on the
	// same attempt, and the approval then continues it.
	before := attemptIDs(t, s, admin, id, "approve_prod")
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	s.cmd = nil
	s = serve(t, dir, env, "--env", "prod")
	alice, bob = s.as(tokens["alice"]), s.as(tokens["bob"])
	waitTask(t, s, admin, "approve_prod", "waiting_approval")
	if got := attemptIDs(t, s, admin, id, "approve_prod"); len(got) != 1 || got[0] != before[0] {
		t.Errorf("approve_prod attempts after the restart %v, want the one attempt %v", got, before)
	}
	r = bob.must("approve", "run", fmt.Sprint(id), "approve_prod", "--comment", "release notes read")
	wantContains(t, "bob approves", r.stdout, "approve_prod of run "+fmt.Sprint(id)+" approved by bob: the run goes on")
	run := s.waitRun(admin, "manual", 1)
	if run.State != "succeeded" {
		t.Fatalf("approved run %s: %s\n%s", run.State, run.Error, tail(s.log, 30))
	}
	if by := s.output(admin, id, "approve_prod", "approved_by"); by != "bob" {
		t.Errorf("approved_by = %q", by)
	}
	if got := attemptIDs(t, s, admin, id, "approve_prod"); len(got) != 1 || got[0] != before[0] {
		t.Errorf("approve_prod attempts once the run ended %v, want the one attempt %v", got, before)
	}
	if got := runTasks(t, s, admin, id); got["load"] != "succeeded" {
		t.Errorf("load %s after the approval", got["load"])
	}

	r = bob.must("releases", "orders", "--env", "prod")
	wantMatch(t, "the release", r.stdout, `(?m)^1\s+`+fmt.Sprint(id)+`\s+deploy\s+succeeded\s+.*alice\s+bob\s+target=warehouse\s+extract\.version=1\.4\.2 extract\.digest=sha256:5f1d`)

	// Release 2, then rolled back by hand: the rollback run ships
	// release 1 again, with its params, without extracting again; what
	// extract reported for release 1 stands.
	alice.must("trigger", "orders", "--param", "target=warehouse_v2")
	idV2 := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	bob.must("approve", "run", fmt.Sprint(idV2), "approve_prod")
	if v2 := s.waitRun(admin, "manual", 2); v2.State != "succeeded" {
		t.Fatalf("release 2's run %s: %s", v2.State, v2.Error)
	}
	r = bob.gantry("release", "rollback", "orders", "--env", "prod", "--reason", "v2 breaks the reports")
	wantCode(t, r, 4) // an approver may not deploy
	r = alice.gantry("release", "rollback", "orders", "--env", "staging", "--reason", "wrong server")
	wantCode(t, r, 2)
	wantContains(t, "a rollback of another environment", r.stderr, "this server runs environment prod")
	r = alice.must("release", "rollback", "orders", "--env", "prod", "--reason", "v2 breaks the reports")
	wantContains(t, "rollback", r.stdout, "ships release 1 into prod again")
	back := s.waitRun(admin, "release_rollback", 1)
	if back.State != "succeeded" || back.Params["target"] != "warehouse" {
		t.Fatalf("rollback run: %s %q params %v", back.State, back.Error, back.Params)
	}
	if got := runTasks(t, s, admin, back.ID); got["extract"] != "skipped" || got["approve_prod"] != "skipped" || got["load"] != "succeeded" {
		t.Errorf("rollback run tasks %v: want extract and the approval skipped, load run", got)
	}
	if shipped := s.output(admin, back.ID, "load", "shipped"); shipped != "sha256:5f1d@warehouse" {
		t.Errorf("the rollback's load shipped %q, want release 1's digest into release 1's target", shipped)
	}
	r = bob.must("releases", "orders", "--env", "prod")
	wantMatch(t, "the rollback release", r.stdout, `(?m)^3\s+`+fmt.Sprint(back.ID)+`\s+rollback\s+succeeded\s+.*alice\s+-\s+target=warehouse\s+extract\.version=1\.4\.2 extract\.digest=sha256:5f1d`)
	wantMatch(t, "release 2", r.stdout, `(?m)^2\s+`+fmt.Sprint(idV2)+`\s+deploy\s+succeeded\s+.*target=warehouse_v2`)

	// Release 4 fails its smoke test in prod: Gantry ships the previous
	// good release (3) again by itself, once, and pages.
	alice.must("trigger", "orders", "--param", "target=broken_smoke")
	idBad := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	bob.must("approve", "run", fmt.Sprint(idBad), "approve_prod")
	if bad := s.waitRun(admin, "manual", 3); bad.State != "failed" || !strings.Contains(bad.Error, "smoke_prod") {
		t.Fatalf("release 4's run: %s %q", bad.State, bad.Error)
	}
	auto := s.waitRun(admin, "release_rollback", 2)
	if auto.State != "succeeded" || auto.RollbackTo != 3 || auto.Params["target"] != "warehouse" || auto.TriggeredBy != "gantry" {
		t.Fatalf("automatic rollback run: %+v", auto)
	}
	// Raised, then resolved by the rollback run's success (before the
	// group wait sent it anywhere).
	waitFor(t, 30*time.Second, "the RolledBack alert", func() bool {
		for _, st := range []string{"firing", "resolved"} {
			var list api.AlertList
			s.getJSON("/api/v1/alerts?pipeline=orders&state="+st, admin, &list)
			for _, a := range list.Alerts {
				if a.Name == "RolledBack" && strings.Contains(a.Annotations["summary"], "release 4 failed; run "+fmt.Sprint(auto.ID)+" ships release 3 again") {
					return true
				}
			}
		}
		return false
	})
	r = bob.must("releases", "orders", "--env", "prod")
	wantMatch(t, "the failed release", r.stdout, `(?m)^4\s+`+fmt.Sprint(idBad)+`\s+deploy\s+FAILED\s`)
	wantMatch(t, "the automatic rollback", r.stdout, `(?m)^5\s+`+fmt.Sprint(auto.ID)+`\s+rollback\s+succeeded\s+.*gantry\s`)

	// A second release, rejected: it fails, saying who and why.
	alice.must("trigger", "orders")
	id2 := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	r = bob.gantry("reject", "run", fmt.Sprint(id2), "approve_prod")
	wantCode(t, r, 2)
	bob.must("reject", "run", fmt.Sprint(id2), "approve_prod", "--reason", "CVE in the base image")
	run = s.waitRun(admin, "manual", 4)
	if run.State != "failed" || !strings.Contains(run.Error, "rejected by bob: CVE in the base image") {
		t.Errorf("rejected run: %s %q", run.State, run.Error)
	}
	if got := runTasks(t, s, admin, id2); got["load"] != "upstream_failed" {
		t.Errorf("load %s after the rejection, want upstream_failed", got["load"])
	}

	if r = bob.must("releases", "orders", "--env", "prod"); len(lines(r.stdout)) != 6 {
		t.Errorf("the rejected run, which never reached prod, is a release:\n%s", r.stdout)
	}

	// The rejected run's dead letter, replayed by erin: the approval asks
	// again, and erin, who replayed it, may not answer it.
	erin := s.as(tokens["erin"])
	r = erin.must("dlq", "list", "--pipeline", "orders")
	m := regexp.MustCompile(`(?m)^(\d+)\s+orders\s+` + fmt.Sprint(id2) + `\s+approve_prod`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no dead letter of run %d:\n%s", id2, r.stdout)
	}
	erin.must("dlq", "replay", m[1])
	waitFor(t, 30*time.Second, "the replayed approval", func() bool { return runTasks(t, s, admin, id2)["approve_prod"] == "waiting_approval" })
	r = erin.gantry("approve", "run", fmt.Sprint(id2), "approve_prod")
	wantCode(t, r, 4)
	wantContains(t, "the replayer approving", r.stderr, "or replayed it")
	bob.must("reject", "run", fmt.Sprint(id2), "approve_prod", "--reason", "still the CVE")

	// A backfill's runs were started by whoever asked for the backfill.
	erin.must("backfill", "orders", "--from", "2026-11-01", "--to", "2026-11-02", "--detach")
	var bf api.RunList
	s.getJSON("/api/v1/runs?trigger=backfill", admin, &bf)
	if len(bf.Runs) != 2 || bf.Runs[0].TriggeredBy != "erin" || bf.Runs[1].TriggeredBy != "erin" {
		t.Errorf("the backfill's runs: %+v, want two triggered by erin", bf.Runs)
	}
	for _, b := range bf.Runs {
		alice.must("cancel", fmt.Sprint(b.ID))
	}

	// Cancelled while it waits for approval: the throwaway staging is
	// torn down all the same, and gone afterwards.
	alice.must("trigger", "orders")
	idC := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	alice.must("cancel", fmt.Sprint(idC))
	waitFor(t, 30*time.Second, "the cancelled run to end", func() bool {
		var v api.RunView
		s.getJSON(fmt.Sprintf("/api/v1/runs/%d", idC), admin, &v)
		return v.State == "cancelled"
	})
	if got := runTasks(t, s, admin, idC); got["teardown_staging"] != "succeeded" || got["load"] != "cancelled" {
		t.Errorf("the cancelled run's tasks: %v, want the teardown succeeded", got)
	}
	if saw := s.output(admin, idC, "teardown_staging", "saw"); saw != fmt.Sprintf("app@staging-run-%d", idC) {
		t.Errorf("the teardown saw %q", saw)
	}
	if dir := s.output(admin, idC, "deploy_staging", "dir"); dir == "" {
		t.Error("deploy_staging reported no folder")
	} else if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the throwaway staging %s is still there (%v)", dir, err)
	}

	// A new revision whose first prod run fails its smoke test: the
	// revision is rolled back, and that stands; no release rollback runs
	// beside it on the revision just rolled back.
	writeFile(t, filepath.Join(dir, "scripts", "load.sh"), "#!/bin/sh\nset -eu\necho \"loaded into $1 (v2)\"\necho rows=1300 >> \"$GANTRY_OUTPUT\"\n")
	alice.must("deploy", "orders", "--env", "staging", "-m", "load v2", "--wait")
	r = alice.must("promote", "orders", "--from", "staging", "--to", "prod")
	dep := regexp.MustCompile(`deployment (\d+) to prod: pending`).FindStringSubmatch(r.stdout)
	if dep == nil {
		t.Fatalf("no pending prod deployment:\n%s", r.stdout)
	}
	bob.must("approve", dep[1])
	// The day's scheduled run (it waited for its upstream) would take
	// the pipeline's one active run waiting for its own approval.
	var open api.RunList
	s.getJSON("/api/v1/runs?trigger=schedule&state=queued,waiting_upstream,running", admin, &open)
	for _, o := range open.Runs {
		alice.must("cancel", fmt.Sprint(o.ID))
	}
	alice.must("trigger", "orders", "--param", "target=broken_smoke")
	idR := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	bob.must("approve", "run", fmt.Sprint(idR), "approve_prod")
	waitFor(t, 60*time.Second, "the revision rollback", func() bool {
		return strings.Contains(alice.must("deployments", "orders", "--env", "prod").stdout, "rolled_back")
	})
	var rbs api.RunList
	s.getJSON("/api/v1/runs?trigger=release_rollback", admin, &rbs)
	if len(rbs.Runs) != 2 { // the one by hand and Gantry's after release 4
		t.Errorf("release rollback runs %d, want 2: none beside the revision rollback", len(rbs.Runs))
	}

	// A third waits while no server runs: a name typed on the command
	// line proves nothing, so nobody approves it locally.
	alice.must("trigger", "orders")
	id3 := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	s.stop()
	for _, who := range []string{"bob", "dave"} {
		r = gantry(t, dir, "approve", "run", fmt.Sprint(id3), "approve_prod", "--as", who)
		wantCode(t, r, 4)
		wantContains(t, "a local approval as "+who, r.stderr, "approve_prod guards protected prod: deciding it needs an authenticated identity")
	}

	r = gantry(t, dir, "audit", "--pipeline", "orders")
	for _, want := range []string{"bob  task_approve", "bob  task_reject", "alice  release_rollback", "gantry  release", "gantry  release_rollback"} {
		if !regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(want), "  ", `\s+`)).MatchString(r.stdout) {
			t.Errorf("audit log lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "alice  task_") || strings.Contains(r.stdout, "carol") {
		t.Errorf("a refused decision is in the audit log:\n%s", r.stdout)
	}
}

// releaseServer is gantry serve --env prod with the release pipeline
// deployed there, and people's tokens: alice (admin), bob and carol
// (approvers).
type releaseServer struct {
	s       *served
	dir     string
	env     []string
	admin   string
	tokens  map[string]string
	staging int64 // the staging run of the revision deployed
	hook    *hookReceiver
}

func newReleaseServer(t *testing.T) *releaseServer {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	const hookSecret = "whsec-approval-7c"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	hs := httptest.NewServer(rcv)
	t.Cleanup(hs.Close)
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hs.URL, 1))
	writeFile(t, filepath.Join(dir, "scripts", "extract.sh"), "#!/bin/sh\nset -eu\necho \"version=1.4.2\" >> \"$GANTRY_OUTPUT\"\necho \"digest=sha256:5f1d\" >> \"$GANTRY_OUTPUT\"\n")
	pf := filepath.Join(dir, "pipelines", "orders.yaml")
	src, err := os.ReadFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)tasks:\n.*?\nsla:`)
	spec := re.ReplaceAllString(string(src), strings.ReplaceAll(releaseTasks, "$", "$$")+"sla:")
	spec = strings.Replace(spec, "rollback: {on_first_run_failure: previous_revision}", "rollback: {on_first_run_failure: previous_revision, on_failure: previous_release}", 1)
	writeFile(t, pf, spec)

	env := []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}
	s := serve(t, dir, env, "--env", "prod")
	admin := s.adminToken()
	tokens := s.tokens(admin, map[string]string{"alice": "admin", "bob": "approver", "carol": "approver", "erin": "admin"})
	alice, bob := s.as(tokens["alice"]), s.as(tokens["bob"])
	// Staging: what goes into prod, and the approval before it, skipped.
	alice.must("deploy", "orders", "--env", "staging", "-m", "release 1.4.2", "--wait")
	staging := s.waitRun(admin, "staging_test", 1)
	if staging.State != "succeeded" {
		t.Fatalf("staging run %s: %s", staging.State, staging.Error)
	}
	alice.must("alerts", "test", "--route", "data-oncall")
	r := alice.must("promote", "orders", "--from", "staging", "--to", "prod")
	wantContains(t, "promote", r.stdout, "deployment 2 to prod: pending")
	r = bob.must("approve", "2")
	wantContains(t, "approve the deployment", r.stdout, "active")
	return &releaseServer{s: s, dir: dir, env: env, admin: admin, tokens: tokens, staging: staging.ID, hook: rcv}
}

// runTasks is each task's state in a run.
func runTasks(t *testing.T, s *served, token string, id int64) map[string]string {
	t.Helper()
	var run api.RunView
	s.getJSON(fmt.Sprintf("/api/v1/runs/%d", id), token, &run)
	out := map[string]string{}
	for _, tk := range run.Tasks {
		out[tk.Task] = string(tk.State)
	}
	return out
}

// waitTask waits until the newest run has task in state, and returns it.
func waitTask(t *testing.T, s *served, token, task, state string) int64 {
	t.Helper()
	var id int64
	waitFor(t, 60*time.Second, task+" "+state, func() bool {
		var list api.RunList
		s.getJSON("/api/v1/runs?limit=1&trigger=manual", token, &list)
		if len(list.Runs) == 0 {
			return false
		}
		id = list.Runs[0].ID
		return runTasks(t, s, token, id)[task] == state
	})
	return id
}

func attemptIDs(t *testing.T, s *served, token string, runID int64, task string) []int64 {
	t.Helper()
	var list api.AttemptList
	s.getJSON(fmt.Sprintf("/api/v1/runs/%d/attempts?task=%s", runID, task), token, &list)
	var ids []int64
	for _, a := range list.Attempts {
		ids = append(ids, a.ID)
	}
	return ids
}

// An approval task in a foreground gantry run is decided from another
// terminal while the run holds the store: not by whoever started it.
func TestApprovalInAForegroundRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: fg\n")
	writeFile(t, filepath.Join(dir, "pipelines", "ship.yaml"), `pipeline: ship
tasks:
  - {id: build, run: 'echo version=2.0.1 >> "$GANTRY_OUTPUT"'}
  - {id: approve, kind: approval, needs: build, approval: {required: 1}, timeout: 5m}
  - {id: deploy, needs: approve, run: 'echo deploying {{ .Outputs.build.version }}'}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := command(ctx, dir, []string{"GANTRY_USER=alice"}, "run", "pipelines/ship.yaml")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, 60*time.Second, "the approval to be asked", func() bool {
		r := gantry(t, dir, "approvals", "1")
		return r.code == 0 && strings.Contains(r.stdout, "WAITING")
	})
	r := gantry(t, dir, "approve", "run", "1", "approve", "--as", "alice")
	wantCode(t, r, 4)
	wantContains(t, "the starter", r.stderr, "you started run 1")
	r = gantry(t, dir, "approve", "run", "1", "approve", "--as", "bob", "--comment", "ok")
	wantContains(t, "bob approves", r.stdout, "approved by bob")
	if err := <-done; err != nil {
		t.Fatalf("gantry run: %v\n%s", err, out.String())
	}
	wantContains(t, "the run's output", out.String(), "see gantry approvals 1", "run 1 succeeded")
	if !strings.Contains(gantry(t, dir, "logs", "1", "deploy").stdout, "deploying 2.0.1") {
		t.Errorf("deploy did not get the build's version")
	}
}
