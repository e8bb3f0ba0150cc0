package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

const lifecycleProject = `project: lifecycle-e2e
environments:
  staging:
    staging: true
    params: {target: staging_db}
  prod:
    production: true
    approval: {required: 1}
pools:
  warehouse: {slots: 2}
alerts:
  group_wait: 1s
  group_interval: 1s
  channels:
    hook: {type: webhook, url: "%URL%", secret: hook_key}
  routes:
    data-oncall: {channels: [hook]}
`

// The whole deploy path on a real server (gantry serve --env prod), as
// people with their own tokens do it through the CLI: the gate refuses a
// bad revision and nothing is stored; the fixed one runs in staging in a
// throwaway folder that is gone afterwards; the promotion waits for an
// approval its author cannot give; another person approves; prod runs it;
// a bad config change passes staging, fails its first prod run and is
// rolled back automatically, with an alert; the audit log tells it all.
func TestDeployLifecycleEndToEnd(t *testing.T) {
	t.Parallel()
	const hookSecret = "whsec-lifecycle-9f"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	hs := httptest.NewServer(rcv)
	defer hs.Close()

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hs.URL, 1))
	// The extract step reports the folder it ran in.
	writeFile(t, filepath.Join(dir, "scripts", "extract.sh"), "#!/bin/sh\nset -eu\necho extracted\necho \"workspace=$PWD\" >> \"$GANTRY_OUTPUT\"\n")
	loadScript, err := os.ReadFile(filepath.Join(dir, "scripts", "load.sh"))
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}, "--env", "prod")
	admin := s.adminToken()

	// People and their roles.
	tokens := s.tokens(admin, map[string]string{"alice": "admin", "bob": "approver", "vic": "viewer"})
	alice, bob, vic := s.as(tokens["alice"]), s.as(tokens["bob"]), s.as(tokens["vic"])

	// 1. A hardcoded secret: the gate refuses, nothing is stored.
	writeFile(t, filepath.Join(dir, "scripts", "load.sh"), string(loadScript)+"psql postgres://loader:Sup3rS3cretPw@db/warehouse -c 'select 1'\n")
	r := alice.gantry("deploy", "orders", "--env", "staging", "-m", "first try")
	wantCode(t, r, 4)
	wantContains(t, "refused deploy", r.stdout+r.stderr, "hardcoded-secret", "scripts/load.sh")
	if strings.Contains(r.stdout+r.stderr, "Sup3rS3cretPw") {
		t.Errorf("the refusal shows the secret:\n%s", r)
	}
	wantContains(t, "revisions after a refusal", alice.must("revisions", "orders").stdout, "no revisions")

	// 2. Fixed: deployed to staging, its integration run in a throwaway folder.
	writeFile(t, filepath.Join(dir, "scripts", "load.sh"), string(loadScript))
	r = alice.must("deploy", "orders", "--env", "staging", "-m", "orders pipeline", "--wait")
	wantContains(t, "deploy to staging", r.stdout, "deployment 1 to staging: active", "staging run 1 of orders: succeeded")
	staging := s.waitRun(admin, "staging_test", 1)
	if staging.State != "succeeded" {
		t.Fatalf("staging run %d %s: %s", staging.ID, staging.State, staging.Error)
	}
	ws := s.output(admin, staging.ID, "extract", "workspace")
	if ws == "" || strings.HasPrefix(ws, dir) {
		t.Errorf("the staging run ran in %q, want a folder of its own", ws)
	}
	if _, err := os.Stat(ws); !os.IsNotExist(err) {
		t.Errorf("the staging workspace %s is still there (%v)", ws, err)
	}
	wantContains(t, "revisions", alice.must("revisions", "orders").stdout, "succeeded")

	// 3. Under-privileged calls change nothing.
	r = vic.gantry("promote", "orders", "--from", "staging", "--to", "prod")
	wantCode(t, r, 4)
	wantContains(t, "a viewer promoting", r.stderr, "role viewer", "may not deploy")
	r = s.as("gantry_forged0123456789").gantry("deploy", "orders", "--env", "prod")
	wantCode(t, r, 4)
	wantContains(t, "a forged token", r.stderr, "unknown or was revoked")
	wantContains(t, "deployments", alice.must("deployments", "orders").stdout, "staging")
	if strings.Contains(alice.must("deployments", "orders").stdout, "prod") {
		t.Fatal("a refused call made a prod deployment")
	}

	// 4. Production wants the route test-fired; then the promotion waits
	// for an approval its author may not give.
	r = alice.gantry("promote", "orders", "--from", "staging", "--to", "prod")
	wantCode(t, r, 4)
	wantContains(t, "promote before a test-fire", r.stdout+r.stderr, "alert-test-fire")
	alice.must("alerts", "test", "--route", "data-oncall")
	r = alice.must("promote", "orders", "--from", "staging", "--to", "prod")
	wantContains(t, "promote", r.stdout, "deployment 2 to prod: pending", "approval")
	r = alice.gantry("approve", "2")
	wantCode(t, r, 4)
	wantContains(t, "self-approval", r.stderr, "another person must approve")
	r = bob.must("approve", "2", "--comment", "looks right")
	wantContains(t, "approve", r.stdout, "active")

	// 5. The server runs it in prod: its first run succeeds.
	alice.must("trigger", "orders")
	first := s.waitRun(admin, "manual", 1)
	if first.State != "succeeded" || first.Env != "prod" || first.Revision == "" {
		t.Fatalf("first prod run: %+v", first)
	}
	good := first.Revision

	// 6. A config change that breaks prod only: staging passes, promotion
	// waits for prod's approval (which applies to L1 too), its first prod
	// run fails, and Gantry rolls back to the previous revision and pages.
	pipelineFile := filepath.Join(dir, "pipelines", "orders.yaml")
	spec, _ := os.ReadFile(pipelineFile)
	writeFile(t, pipelineFile, strings.Replace(string(spec), "prod: {approval: {required: 1}}", "prod: {approval: {required: 1}, params: {target: broken}}", 1))
	r = alice.must("deploy", "orders", "--env", "staging", "-m", "route prod loads elsewhere")
	wantContains(t, "deploy B to staging", r.stdout, "risk L1")
	if st := s.waitRun(admin, "staging_test", 2); st.State != "succeeded" {
		t.Fatalf("second staging run %s", st.State)
	}
	r = alice.must("promote", "orders", "--from", "staging", "--to", "prod")
	wantContains(t, "promote B", r.stdout, "risk L1 → deployment 4 to prod: pending", "0 of 1 approvals")
	r = bob.must("approve", "4")
	wantContains(t, "approve B", r.stdout, "approved deployment 4 of orders to prod: active")
	alice.must("trigger", "orders")
	second := s.waitRun(admin, "manual", 2)
	if second.State != "failed" || second.Revision == good {
		t.Fatalf("second prod run: %+v", second)
	}
	waitFor(t, 30*time.Second, "the rollback page", func() bool { return len(rcv.messages("RolledBack")["firing"]) > 0 })
	var pipes struct{ Pipelines []api.Pipeline }
	s.getJSON("/api/v1/pipelines", admin, &pipes)
	if len(pipes.Pipelines) != 1 || pipes.Pipelines[0].Revision != good {
		t.Errorf("after the rollback the server runs %+v, want revision %s", pipes.Pipelines, good[:12])
	}
	r = alice.must("deployments", "orders", "--env", "prod")
	wantContains(t, "prod deployments", r.stdout, "rolled_back", "active")
	bad := second.Revision[:12]

	// 6b. The revision that failed there stays out: a rollback without
	// --to finds nothing else to go to, and naming it needs --force.
	r = alice.gantry("rollback", "orders", "--env", "prod", "--reason", "numbers look off")
	wantCode(t, r, 4)
	wantContains(t, "rollback after the automatic one", r.stderr, "did not fail its first run there ("+bad+" did)", "--force")
	r = alice.gantry("rollback", "orders", "--env", "prod", "--to", bad, "--reason", "try it again")
	wantCode(t, r, 4)
	wantContains(t, "rollback --to the failed revision", r.stderr,
		"revision "+bad+" failed its first run in prod (run "+fmt.Sprint(second.ID), "--to "+bad+" --force")
	s.getJSON("/api/v1/pipelines", admin, &pipes)
	if len(pipes.Pipelines) != 1 || pipes.Pipelines[0].Revision != good {
		t.Errorf("after refused rollbacks the server runs %+v, want revision %s still", pipes.Pipelines, good[:12])
	}

	// 7. The audit log has every step and who took it.
	r = vic.must("audit", "--pipeline", "orders")
	for _, want := range []string{
		"alice  deploy", "gantry  staging", "alice  promote", "bob  approve", "gantry  auto_rollback",
	} {
		if !regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(want), "  ", `\s+`)).MatchString(r.stdout) {
			t.Errorf("audit log lacks %q:\n%s", want, r.stdout)
		}
	}
	wantContains(t, "audit", vic.must("audit").stdout, "test_fire", "token_create")

	// 8. Without the server, --as is a name anyone types: nobody approves a
	// prod deployment locally, whoever they claim to be.
	r = alice.must("promote", "orders", "--from", "staging", "--to", "prod", "-m", "again, data fixed")
	wantMatch(t, "promote B again", r.stdout, `deployment (\d+) to prod: pending`)
	id := regexp.MustCompile(`deployment (\d+) to prod: pending`).FindStringSubmatch(r.stdout)[1]
	s.stop()
	for _, who := range []string{"alice", "bob"} {
		r = gantry(t, dir, "approve", id, "--as", who)
		wantCode(t, r, 4)
		wantContains(t, "a local approval as "+who, r.stderr,
			"approving a deployment to prod needs an authenticated identity: run gantry serve and approve through it with your API token (--server URL --token T)")
	}
	r = gantry(t, dir, "reject", id, "--as", "bob", "--reason", "no")
	wantCode(t, r, 4)
	wantContains(t, "a local rejection", r.stderr, "rejecting a deployment to prod needs an authenticated identity")
	wantMatch(t, "deployments after local attempts", gantry(t, dir, "deployments", "orders", "--env", "prod").stdout,
		`(?m)^`+id+`\s+orders\s+prod\s+\S+\s+pending\s`)

	// 9. Re-activating the failed revision on purpose takes --force.
	r = gantry(t, dir, "rollback", "orders", "--env", "prod", "--to", bad, "--as", "alice", "--reason", "data fixed")
	wantCode(t, r, 4)
	wantContains(t, "local rollback --to the failed revision", r.stderr, "failed its first run in prod", "--force")
	r = gantry(t, dir, "rollback", "orders", "--env", "prod", "--to", bad, "--force", "--as", "alice", "--reason", "data fixed")
	wantCode(t, r, 0)
	wantContains(t, "forced rollback", r.stdout, "revision "+bad+" is active in prod again")

	// 10. The same through a server, as the token's user: a rollback goes
	// back to the good revision, the failed one needs --force, and a
	// viewer cannot force anything.
	s = serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}, "--env", "prod")
	alice, vic = s.as(tokens["alice"]), s.as(tokens["vic"])
	r = alice.must("rollback", "orders", "--env", "prod", "--reason", "back to what worked")
	wantContains(t, "rollback through the server", r.stdout, "revision "+good[:12]+" is active in prod again")
	r = alice.gantry("rollback", "orders", "--env", "prod", "--to", bad, "--reason", "again")
	wantCode(t, r, 4)
	wantContains(t, "rollback --to the failed revision through the server", r.stderr, "failed its first run in prod", "--force")
	r = vic.gantry("rollback", "orders", "--env", "prod", "--to", bad, "--force", "--reason", "a viewer tries")
	if r.code == 0 {
		t.Errorf("a viewer forced a rollback:\n%s", r)
	}
	r = alice.must("rollback", "orders", "--env", "prod", "--to", bad, "--force", "--reason", "data fixed, on purpose")
	wantContains(t, "forced rollback through the server", r.stdout, "revision "+bad+" is active in prod again")
}

// as returns the server as a CLI user with token.
func (s *served) as(token string) *served {
	c := *s
	c.env = append(append([]string{}, s.env...), "GANTRY_TOKEN="+token)
	return &c
}

// tokens creates, as admin, a token per user with its role, and returns
// them by user.
func (s *served) tokens(admin string, roles map[string]string) map[string]string {
	s.t.Helper()
	out := make(map[string]string, len(roles))
	for user, role := range roles {
		r := s.as(admin).must("token", "create", "--user", user, "--role", role)
		m := regexp.MustCompile(`(?m)^(gantry_\S+)$`).FindStringSubmatch(r.stdout)
		if m == nil {
			s.t.Fatalf("no token printed:\n%s", r)
		}
		out[user] = m[1]
	}
	return out
}

// adminToken is the token gantry serve wrote into the project.
func (s *served) adminToken() string {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, ".gantry", "admin-token"))
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// waitRun waits for the n-th run with trigger to end and returns it.
func (s *served) waitRun(token, trigger string, n int) api.RunView {
	s.t.Helper()
	var run api.RunView
	waitFor(s.t, 60*time.Second, fmt.Sprintf("%s run %d to end", trigger, n), func() bool {
		var list api.RunList
		s.getJSON("/api/v1/runs?limit=100", token, &list)
		var mine []api.RunView
		for _, r := range list.Runs {
			if string(r.Trigger) == trigger {
				mine = append([]api.RunView{r}, mine...) // oldest first
			}
		}
		if len(mine) < n {
			return false
		}
		run = mine[n-1]
		return run.State.Final()
	})
	return run
}

// output is the value a task of a run reported for key.
func (s *served) output(token string, runID int64, task, key string) string {
	s.t.Helper()
	var list api.AttemptList
	s.getJSON(fmt.Sprintf("/api/v1/runs/%d/attempts?task=%s", runID, task), token, &list)
	for _, a := range list.Attempts {
		for _, o := range a.Outputs {
			if o.Key == key {
				return o.Value
			}
		}
	}
	data, _ := json.Marshal(list)
	s.t.Errorf("run %d task %s reported no %s: %s", runID, task, key, data)
	return ""
}

// Each environment reads secrets from its own source: a staging run gets
// the staging value, never the project's.
func TestEnvironmentSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stagingSecrets := filepath.Join(t.TempDir(), "staging-secrets")
	writeFile(t, filepath.Join(stagingSecrets, "db_password"), "staging-pw-41")
	writeFile(t, filepath.Join(dir, "gantry.yaml"), `project: env-secrets
environments:
  staging:
    staging: true
    secrets: {dir: `+stagingSecrets+`}
alerts:
  channels:
    am: {type: alertmanager, url: "http://127.0.0.1:9/"}
  routes:
    oncall: {channels: [am]}
`)
	writeFile(t, filepath.Join(dir, "runbooks", "conn.md"), testRunbook("conn",
		"cannot connect", "gantry logs RUN_ID connect", "gantry dlq replay DLQ_ID",
		"timeout", "gantry runs show RUN_ID", "gantry dlq replay DLQ_ID",
		"wrong database", "gantry logs RUN_ID connect", "gantry rollback conn --env staging --reason wrong-db"))
	writeFile(t, filepath.Join(dir, "pipelines", "conn.yaml"), `pipeline: conn
owner: data
defaults:
  retries: {attempts: 2, backoff: constant, initial: 1s}
  timeout: 1m
  resources: {memory: 64Mi, cpu: "100m"}
concurrency: {parallelism: 1}
timeout: 5m
alerts: {route: oncall}
runbook: runbooks/conn.md
tasks:
  - id: connect
    run: echo "pw_sha=$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-16)" >> "$GANTRY_OUTPUT"
    env:
      DB_PASSWORD: {secret: db_password}
`)
	s := serve(t, dir, []string{"GANTRY_SECRET_DB_PASSWORD=project-pw-99"})
	admin := s.adminToken()
	s.must("deploy", "conn", "--env", "staging")
	run := s.waitRun(admin, "staging_test", 1)
	if run.State != "succeeded" {
		t.Fatalf("staging run %s: %s", run.State, run.Error)
	}
	if got, want := s.output(admin, run.ID, "connect", "pw_sha"), sha16("staging-pw-41"); got != want {
		t.Errorf("the staging run saw a password hashing to %s, want the staging secret's %s", got, want)
	}
	// The working tree's runs keep the project's source.
	s.must("trigger", "conn")
	manual := s.waitRun(admin, "manual", 1)
	if got, want := s.output(admin, manual.ID, "connect", "pw_sha"), sha16("project-pw-99"); got != want {
		t.Errorf("a working-tree run saw %s, want the project secret's %s", got, want)
	}
}

func sha16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

// A staging run stopped with its server resumes in the same workspace,
// with what its finished tasks left there, and the workspace goes once
// the run has ended.
func TestStagingRunResumesInItsWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gate := filepath.Join(t.TempDir(), "go")
	writeFile(t, filepath.Join(dir, "gantry.yaml"), `project: resume
environments:
  staging: {staging: true}
alerts:
  channels:
    am: {type: alertmanager, url: "http://127.0.0.1:9/"}
  routes:
    oncall: {channels: [am]}
`)
	writeFile(t, filepath.Join(dir, "runbooks", "two.md"), testRunbook("two",
		"make fails", "gantry logs RUN_ID make", "gantry dlq replay DLQ_ID",
		"use fails", "gantry logs RUN_ID use", "gantry dlq replay DLQ_ID",
		"timeout", "gantry runs show RUN_ID", "gantry dlq replay DLQ_ID"))
	writeFile(t, filepath.Join(dir, "pipelines", "two.yaml"), `pipeline: two
owner: data
defaults:
  retries: {attempts: 2, backoff: constant, initial: 1s}
  timeout: 2m
  resources: {memory: 64Mi, cpu: "100m"}
concurrency: {parallelism: 1}
timeout: 5m
alerts: {route: oncall}
runbook: runbooks/two.md
tasks:
  - id: make
    run: echo made > made.txt && echo "workspace=$PWD" >> "$GANTRY_OUTPUT"
  - id: use
    needs: [make]
    run: |
      while [ ! -f `+gate+` ]; do sleep 0.05; done
      cat made.txt
`)
	s := serve(t, dir, nil)
	admin := s.adminToken()
	s.must("deploy", "two", "--env", "staging")
	var run api.RunView
	waitFor(t, 60*time.Second, "the use task to start", func() bool {
		s.getJSON("/api/v1/runs/1", admin, &run)
		for _, tk := range run.Tasks {
			if tk.Task == "use" && tk.State == "running" {
				return true
			}
		}
		return false
	})
	ws := s.output(admin, 1, "make", "workspace")
	s.stop() // suspends the run: the use task is killed and resumes later
	if _, err := os.Stat(filepath.Join(ws, "made.txt")); err != nil {
		t.Fatalf("the suspended run's workspace lost what make left: %v", err)
	}
	writeFile(t, gate, "")
	s = serve(t, dir, nil)
	done := s.waitRun(admin, "staging_test", 1)
	if done.State != "succeeded" {
		t.Fatalf("the resumed staging run %s: %s", done.State, done.Error)
	}
	// The run is recorded succeeded just before its workspace goes.
	waitFor(t, 30*time.Second, "the workspace to go once the run ended", func() bool {
		_, err := os.Stat(ws)
		return os.IsNotExist(err)
	})
}
