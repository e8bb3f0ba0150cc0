package cli_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/readiness"
)

// preprod is protected (an approval) but not production: the gate does
// not ask for a test-fire there; readiness does.
const readinessProject = `project: readiness-e2e
environments:
  staging:
    staging: true
    params: {target: staging_db}
  preprod:
    approval: {required: 1}
  prod:
    production: true
    approval: {required: 1}
pools:
  warehouse: {slots: 2}
alerts:
  channels:
    hook: {type: webhook, url: "%URL%", secret: hook_key}
  routes:
    data-oncall: {channels: [hook]}
`

// Readiness on a real server and store, as an SRE uses it: NOT READY
// while the channel was never test-fired (exit 1, the reason, as text,
// JSON and Markdown); a promotion to the protected preprod gets the
// report attached and waits for READY even once approved; a test-fire
// and the promotion run again make it READY and active; gantry
// deployments show gives approvers the report; the same commands work
// without the server, on the store.
func TestReadinessEndToEnd(t *testing.T) {
	t.Parallel()
	const hookSecret = "whsec-readiness-4c"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(readinessProject, "%URL%", hs.URL, 1))
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}, "--env", "preprod")
	admin := s.adminToken()
	tokens := s.tokens(admin, map[string]string{"alice": "admin", "bob": "approver"})
	alice, bob := s.as(tokens["alice"]), s.as(tokens["bob"])

	// Bad input: exit 2 or 3, a message saying what.
	r := alice.gantry("readiness", "orders")
	wantCode(t, r, 2)
	wantContains(t, "readiness without --env", r.stderr, "needs --env ENV")
	r = alice.gantry("readiness", "orders", "--all", "--env", "preprod")
	wantCode(t, r, 2)
	wantContains(t, "a pipeline and --all", r.stderr, "give a PIPELINE or --all, not both")
	r = alice.gantry("readiness", "orders", "--env", "preprod", "--format", "yaml")
	wantCode(t, r, 2)
	wantContains(t, "a bad format", r.stderr, `unknown --format "yaml" (want text, json or markdown)`)
	r = alice.gantry("readiness", "orders", "--env", "preprod")
	wantCode(t, r, 3)
	wantContains(t, "readiness before any deploy", r.stderr, "pipeline orders has no revision: deploy it to a staging environment first")

	alice.must("deploy", "orders", "--env", "staging", "--wait")
	if st := s.waitRun(admin, "staging_test", 1); st.State != "succeeded" {
		t.Fatalf("staging run %s", st.State)
	}

	// 1. NOT READY: the channel never took a test alert.
	r = alice.gantry("readiness", "orders", "--env", "preprod")
	wantCode(t, r, 1)
	wantContains(t, "readiness text", r.stdout, "orders in preprod: NOT READY", "newest revision, not deployed to preprod",
		"FAIL test_fires", "channel hook never took a test alert: gantry alerts test --route data-oncall",
		"ok   staging", "ok   backfill", "failed        RunFailed           → data-oncall → hook")
	r = alice.gantry("readiness", "orders", "--env", "preprod", "--format", "json")
	wantCode(t, r, 1)
	var rep readiness.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("readiness JSON: %v\n%s", err, r.stdout)
	}
	if rep.Ready || rep.Verdict != "NOT READY" || len(rep.Reasons) != 1 || !strings.HasPrefix(rep.Reasons[0], "test_fires: channel hook never") {
		t.Errorf("readiness JSON: %s %q", rep.Verdict, rep.Reasons)
	}
	if rep.Sizing == nil || !strings.Contains(rep.Sizing.Source, "staging run 1 in staging (no runs in preprod yet)") {
		t.Errorf("sizing of a pipeline new to preprod: %+v", rep.Sizing)
	}
	r = alice.gantry("readiness", "--all", "--env", "preprod", "--format", "markdown")
	wantCode(t, r, 1)
	wantContains(t, "readiness markdown", r.stdout, "## Readiness: orders in preprod — **NOT READY**", "### Why not ready",
		"| failed | RunFailed | data-oncall | hook |", "| hook | never |")
	r = alice.gantry("sizing", "orders", "--env", "nosuch")
	wantCode(t, r, 2)
	wantContains(t, "sizing in an unknown environment", r.stderr, `unknown environment "nosuch"`, "staging, preprod, prod")
	r = alice.gantry("sizing", "orders", "--env", "preprod", "--last", "501")
	wantCode(t, r, 2)
	wantContains(t, "sizing --last over the API's limit", r.stderr, "--last must be from 1 to 500")
	r = alice.gantry("runbook", "generate")
	wantCode(t, r, 2)
	wantContains(t, "runbook generate without a pipeline", r.stderr, "needs a PIPELINE (see gantry runbook generate --help)")
	r = alice.must("sizing", "orders", "--env", "preprod")
	wantContains(t, "sizing", r.stdout, "sizing of orders in preprod, from staging run 1 in staging (no runs in preprod yet)", "extract", "load",
		"mem p50   mem p95   mem max", "cpu time p50/p95/max")
	if !regexp.MustCompile(`\d+(\.\d+)?m?s/\d+(\.\d+)?m?s/\d+(\.\d+)?m?s`).MatchString(r.stdout) {
		t.Errorf("sizing shows no CPU time p50/p95/max:\n%s", r.stdout)
	}

	// 2. The promotion to the protected preprod has the report attached
	// and waits for READY, approved or not.
	r = alice.must("promote", "orders", "--from", "staging", "--to", "preprod")
	wantContains(t, "promote", r.stdout, "pending", "readiness: orders in preprod is NOT READY: test_fires: channel hook never took a test alert")
	id := regexp.MustCompile(`deployment (\d+) to preprod: pending`).FindStringSubmatch(r.stdout)
	if id == nil {
		t.Fatalf("no pending deployment:\n%s", r)
	}
	r = bob.must("approve", id[1])
	wantContains(t, "approve while NOT READY", r.stdout, "pending", "waiting for readiness: orders in preprod is NOT READY")
	r = bob.must("deployments", "show", id[1])
	wantContains(t, "deployments show", r.stdout, "gates check, staging, approval, readiness", "approvals: 1 of 1",
		"waiting for readiness", "orders in preprod: NOT READY", "(deployment "+id[1]+")")
	if strings.Contains(r.stdout, "waiting for approval") {
		t.Errorf("an approved deployment waits for approval:\n%s", r.stdout)
	}
	var dv struct {
		State     string
		Readiness *readiness.Report
	}
	show := func() {
		t.Helper()
		r := bob.must("deployments", "show", id[1], "--format", "json")
		if err := json.Unmarshal([]byte(r.stdout), &dv); err != nil || dv.Readiness == nil {
			t.Fatalf("deployments show %s --format json: %v\n%s", id[1], err, r.stdout)
		}
	}
	// A read that wrote would change the report's time at every read; the
	// leader's own round (every 30 s) may change it once among three.
	var assessed []time.Time
	for range 3 {
		show()
		assessed = append(assessed, dv.Readiness.AssessedAt)
	}
	if !assessed[0].Equal(assessed[1]) && !assessed[1].Equal(assessed[2]) {
		t.Errorf("reading deployment %s assessed it again at every read (%v): a read must not write", id[1], assessed)
	}
	// Approvers see the report on the deployment's page.
	page := (&dashboard{t: t, base: s.url, token: tokens["bob"]}).do("GET", "/deployments/"+id[1], nil)
	for _, want := range []string{`id="readiness"`, "NOT READY", "test_fires", "channel hook never took a test alert"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the deployment's page does not show %q:\n%s", want, page.body)
		}
	}

	// 3. A test-fire: READY, and the waiting deployment becomes active by
	// itself, without promoting it again.
	alice.must("alerts", "test", "--route", "data-oncall")
	r = alice.must("readiness", "orders", "--env", "preprod")
	wantContains(t, "readiness after a test-fire", r.stdout, "orders in preprod: READY", "last test-fire", "by alice")
	// Still pending, or already made active by the test-fire's own
	// reassessment: either way the report is this deployment's.
	if !strings.Contains(r.stdout, "pending deployment "+id[1]) && !strings.Contains(r.stdout, "active deployment "+id[1]) {
		t.Errorf("readiness after a test-fire names neither pending nor active deployment %s:\n%s", id[1], r.stdout)
	}
	waitFor(t, 30*time.Second, "deployment "+id[1]+" to become active once READY", func() bool {
		show()
		return dv.State == "active"
	})
	if !dv.Readiness.Ready {
		t.Errorf("deployment %s is active with a NOT READY report attached: %+v", id[1], dv.Readiness)
	}
	// The server serving preprod runs what became active there.
	waitFor(t, 10*time.Second, "the preprod server to load orders once active", func() bool {
		var l api.PipelineList
		s.getJSON("/api/v1/pipelines", admin, &l)
		return len(l.Pipelines) == 1 && l.Pipelines[0].Name == "orders"
	})
	r = alice.must("audit", "--pipeline", "orders")
	wantContains(t, "audit after the activation", r.stdout, "activate")
	r = alice.must("readiness", "--all", "--env", "preprod", "--format", "json")
	wantContains(t, "readiness --all", r.stdout, `"reports": [`, `"verdict": "READY"`, `"subject": "active deployment `+id[1]+`"`)

	// 4. Without the server, on the store.
	s.stop()
	r = gantry(t, dir, "readiness", "orders", "--env", "preprod")
	wantCode(t, r, 0)
	wantContains(t, "local readiness", r.stdout, "orders in preprod: READY")
	r = gantry(t, dir, "deployments", "show", id[1], "--format", "markdown")
	wantCode(t, r, 0)
	wantContains(t, "local deployments show", r.stdout, "deployment "+id[1]+": orders", "## Readiness: orders in preprod — **READY**")
	r = gantry(t, dir, "sizing", "orders", "--env", "preprod", "--format", "json")
	wantCode(t, r, 0)
	wantContains(t, "local sizing", r.stdout, `"task": "load"`, `"memory_limit_bytes": 536870912`)
	r = gantry(t, dir, "deployments", "show", "999")
	wantCode(t, r, 3)
}
