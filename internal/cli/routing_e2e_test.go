package cli_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const routingProject = `project: routing-e2e
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
    old-pager: {type: webhook, url: "%OLD%", secret: hook_key}
    new-pager: {type: webhook, url: "%NEW%", secret: hook_key}
    bad-pager: {type: webhook, url: "%BAD%", secret: hook_key}
  routes:
    data-oncall: {channels: [old-pager]}
`

// A prod server pages through the routes prod was deployed with: an
// edit of the working tree's gantry.yaml that sends the route elsewhere,
// and a reload, leave prod's pages where they were (the reload says so);
// deploying the edit through staging and approval moves them.
func TestProdRoutingComesFromTheDeployedRevision(t *testing.T) {
	t.Parallel()
	const hookSecret = "whsec-routing-3c"
	oldRcv, newRcv := &hookReceiver{t: t, secret: hookSecret}, &hookReceiver{t: t, secret: hookSecret}
	oldHS, newHS := httptest.NewServer(oldRcv), httptest.NewServer(newRcv)
	defer oldHS.Close()
	defer newHS.Close()
	// bad-pager's receiver expects another key: it refuses every delivery.
	badHS := httptest.NewServer(&hookReceiver{t: t, secret: "some-other-key"})
	defer badHS.Close()

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("%OLD%", oldHS.URL, "%NEW%", newHS.URL, "%BAD%", badHS.URL).Replace(routingProject)
	writeFile(t, filepath.Join(dir, "gantry.yaml"), cfg)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}, "--env", "prod")
	admin := s.adminToken()
	r := s.as(admin).must("token", "create", "--user", "bob", "--role", "approver")
	bob := s.as(regexp.MustCompile(`(?m)^(gantry_\S+)$`).FindStringSubmatch(r.stdout)[1])
	alice := s.as(admin)

	// Deployed to prod with the route to old-pager; its first run succeeds.
	alice.must("deploy", "orders", "--env", "staging", "-m", "orders", "--wait")
	alice.must("alerts", "test", "--route", "data-oncall")
	id := promote(t, alice)
	bob.must("approve", id)
	alice.must("trigger", "orders")
	if run := s.waitRun(admin, "manual", 1); run.State != "succeeded" {
		t.Fatalf("first prod run %s: %s", run.State, run.Error)
	}

	// The working tree now sends the route to new-pager; reloaded, not deployed.
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(cfg, "data-oncall: {channels: [old-pager]}", "data-oncall: {channels: [new-pager]}", 1))
	r = alice.must("reload")
	wantContains(t, "reload of an undeployed gantry.yaml", r.stdout,
		"note: alerts in prod are routed by the gantry.yaml of revision", "takes effect in prod only when deployed")

	// A prod failure pages the deployed route's channel, not the edited one.
	alice.must("trigger", "orders", "--param", "target=broken")
	if run := s.waitRun(admin, "manual", 2); run.State != "failed" {
		t.Fatalf("second prod run %s, want failed", run.State)
	}
	waitFor(t, 30*time.Second, "RunFailed at the deployed route's channel", func() bool {
		return len(oldRcv.messages("RunFailed")["firing"]) > 0
	})
	if got := newRcv.messages("RunFailed"); len(got) > 0 {
		t.Fatalf("the undeployed route's channel was paged: %v", got)
	}

	// A routing change whose new channel refuses the test alert does not
	// reach prod: the promotion test-fires the route as deployed, and is
	// refused.
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(cfg, "data-oncall: {channels: [old-pager]}", "data-oncall: {channels: [bad-pager]}", 1))
	alice.must("deploy", "orders", "--env", "staging", "-m", "page bad-pager", "--wait")
	wantContains(t, "diff of the routing change", alice.must("diff", "orders", "--env", "prod").stdout,
		"routing (who is paged)", "routing  alert routes changed: data-oncall")
	r = alice.gantry("promote", "orders", "--from", "staging", "--to", "prod")
	wantCode(t, r, 4)
	wantContains(t, "promotion of a route whose channel fails", r.stdout+r.stderr, "alert-test-fire", `alert route "data-oncall" as this deployment declares it: channel bad-pager did not take the test alert`)
	if strings.Contains(alice.must("deployments", "orders", "--env", "prod").stdout, "pending") {
		t.Fatal("a refused routing change left a pending prod deployment")
	}

	// Deployed through staging and an approval, the edit moves the pages;
	// the promotion test-fires the new route's channel first.
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(cfg, "data-oncall: {channels: [old-pager]}", "data-oncall: {channels: [new-pager]}", 1))
	r = alice.must("deploy", "orders", "--env", "staging", "-m", "page new-pager", "--wait")
	wantContains(t, "deploy of the routing change", r.stdout, "staging run", "succeeded")
	if got := newRcv.messages("GantryTestAlert")["test"]; len(got) != 0 {
		t.Fatalf("new-pager was test-fired before the promotion to prod: %v", got)
	}
	id = promote(t, alice)
	if got := newRcv.messages("GantryTestAlert")["test"]; len(got) != 1 {
		t.Errorf("the promotion test-fired new-pager %d times, want once", len(got))
	}
	bob.must("approve", id)
	alice.must("trigger", "orders") // the new revision's first run succeeds: no rollback
	if run := s.waitRun(admin, "manual", 3); run.State != "succeeded" {
		t.Fatalf("third prod run %s: %s", run.State, run.Error)
	}
	before := len(oldRcv.messages("RunFailed")["firing"])
	alice.must("trigger", "orders", "--param", "target=broken")
	if run := s.waitRun(admin, "manual", 4); run.State != "failed" {
		t.Fatalf("fourth prod run %s, want failed", run.State)
	}
	waitFor(t, 30*time.Second, "RunFailed at the newly deployed route's channel", func() bool {
		return len(newRcv.messages("RunFailed")["firing"]) > 0
	})
	if after := len(oldRcv.messages("RunFailed")["firing"]); after != before {
		t.Errorf("the old channel was paged again after the route moved (%d → %d pages)", before, after)
	}
	r = alice.must("reload")
	if strings.Contains(r.stdout, "note:") {
		t.Errorf("reload notes a difference where the working tree is what is deployed:\n%s", r.stdout)
	}
}

// promote promotes orders from staging to prod and returns the pending
// deployment's id.
func promote(t *testing.T, s *served) string {
	t.Helper()
	r := s.must("promote", "orders", "--from", "staging", "--to", "prod")
	m := regexp.MustCompile(`deployment (\d+) to prod: pending`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("promote did not wait for an approval:\n%s", r)
	}
	return m[1]
}
