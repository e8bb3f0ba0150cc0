package cli_test

import (
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

// The bundled delivery example passes its own gate and its staging run,
// locally and through a server: its lint step reads app/*.sh, which no
// run: line names, and the revision holds it.
func TestDeliveryExampleStaging(t *testing.T) {
	t.Parallel()
	dir := copyExample(t, "delivery")
	env := []string{"GANTRY_SECRET_WEBHOOK_KEY=whsec-delivery-e2e"}
	r := gantryEnv(t, dir, env, "check", dir)
	wantCode(t, r, 0)

	r = gantryEnv(t, dir, env, "deploy", "ship_app", "--env", "staging", "--project", dir, "--as", "alice")
	wantCode(t, r, 0)
	wantContains(t, "local staging deploy of the delivery example", r.stdout, "staging run 1 succeeded")

	// The same through a server, after a change to a file only a script
	// reads: a new revision, and its staging run passes too.
	writeFile(t, filepath.Join(dir, "app", "hello.sh"), "#!/bin/sh\n# hello.sh [NAME] - the example app.\nset -eu\nname=${1:-world}\nprintf 'hello, %s\\n' \"$name\"\n")
	s := serve(t, dir, env, "--env", "prod")
	admin := s.as(s.adminToken())
	r = admin.must("diff", "ship_app", "--env", "staging")
	wantContains(t, "diff after editing app/hello.sh", r.stdout, "L2  app/hello.sh changed")
	r = admin.must("deploy", "ship_app", "--env", "staging", "--wait")
	wantContains(t, "staging deploy through the server", r.stdout, "staging run 2 of ship_app: succeeded")
}

// revisionProject is the deploy fixture with a webhook route to rcv and a
// library that extract.sh sources (no run: line names it), served with
// --env prod; it returns the project folder, the server, the admin's
// token and the approver bob's.
func revisionProject(t *testing.T, rcv *hookReceiver, secret string) (string, *served, string, string) {
	t.Helper()
	hs := httptest.NewServer(rcv)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hs.URL, 1))
	writeFile(t, filepath.Join(dir, "lib", "common.sh"), "greet() { echo hello; }\n")
	writeFile(t, filepath.Join(dir, "scripts", "extract.sh"),
		"#!/bin/sh\nset -eu\n. ./lib/common.sh\necho \"greeting=$(greet)\" >> \"$GANTRY_OUTPUT\"\necho \"workspace=$PWD\" >> \"$GANTRY_OUTPUT\"\n")
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + secret}, "--env", "prod")
	token := s.adminToken()
	r := s.as(token).must("token", "create", "--user", "bob", "--role", "approver")
	bob := regexp.MustCompile(`(?m)^(gantry_\S+)$`).FindStringSubmatch(r.stdout)
	if bob == nil {
		t.Fatalf("no token printed:\n%s", r)
	}
	return dir, s, token, bob[1]
}

// toProd deploys orders to staging, promotes it to prod, has bob approve
// it, and runs it there once, the n-th manual run; it returns that run.
func toProd(t *testing.T, s *served, token, bob string, n int) api.RunView {
	t.Helper()
	admin := s.as(token)
	r := admin.must("deploy", "orders", "--env", "staging", "--wait")
	wantMatch(t, "deploy to staging", r.stdout, `staging run \d+ of orders: succeeded`)
	admin.must("alerts", "test", "--route", "data-oncall")
	r = admin.must("promote", "orders", "--from", "staging", "--to", "prod")
	m := regexp.MustCompile(`deployment (\d+) to prod: pending`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("promote:\n%s", r)
	}
	r = s.as(bob).must("approve", m[1])
	wantContains(t, "approve", r.stdout, "active")
	admin.must("trigger", "orders")
	run := s.waitRun(token, "manual", n)
	if run.State != "succeeded" {
		t.Fatalf("prod run %d %s: %s\n%s", run.ID, run.State, run.Error, tail(s.log, 30))
	}
	return run
}

// A revision is the project's files: a library a script sources travels
// with it to staging and prod, and a change to it alone is a change that
// gantry diff shows, at a script's class.
func TestRevisionHoldsProjectFiles(t *testing.T) {
	t.Parallel()
	dir, s, token, bob := revisionProject(t, &hookReceiver{t: t, secret: "whsec-revision-files-3c"}, "whsec-revision-files-3c")
	first := toProd(t, s, token, bob, 1)
	if got := s.output(token, first.ID, "extract", "greeting"); got != "hello" {
		t.Errorf("prod extract greeted %q, want hello (from lib/common.sh)", got)
	}
	writeFile(t, filepath.Join(dir, "lib", "common.sh"), "greet() { echo bonjour; }\n")
	r := s.as(token).must("diff", "orders", "--env", "prod")
	wantContains(t, "diff after editing lib/common.sh", r.stdout, "risk L2", "L2  lib/common.sh changed (+1 −1 lines)")
	second := toProd(t, s, token, bob, 2)
	if got := s.output(token, second.ID, "extract", "greeting"); got != "bonjour" || second.Revision == first.Revision {
		t.Errorf("after the library changed prod greeted %q in revision %s, want bonjour in a new one", got, second.Revision[:12])
	}
}

// The prod revision folder is read-only and verified before each run:
// edited in place, the next run is refused, nothing of it runs, and a
// RevisionTampered alert pages with what changed. Removed, the folder is
// written again from the store and runs.
func TestTamperedRevisionRefused(t *testing.T) {
	t.Parallel()
	const hookSecret = "whsec-revision-tamper-7a"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	dir, s, token, bob := revisionProject(t, rcv, hookSecret)
	first := toProd(t, s, token, bob, 1)
	revDir := s.output(token, first.ID, "extract", "workspace")
	if want := filepath.Join(dir, ".gantry", "revisions", first.Revision); revDir != want {
		t.Fatalf("prod ran in %q, want %q", revDir, want)
	}
	for rel, want := range map[string]fs.FileMode{".": 0o555, "lib": 0o555, "lib/common.sh": 0o444, "scripts/extract.sh": 0o555} {
		info, err := os.Stat(filepath.Join(revDir, rel))
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("revision folder %s: %v (%v), want mode %v", rel, info.Mode().Perm(), err, want)
		}
	}

	lib := filepath.Join(revDir, "lib", "common.sh")
	if err := os.Chmod(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(lib, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, lib, "greet() { echo pwned; }\n")
	s.as(token).must("trigger", "orders")
	second := s.waitRun(token, "manual", 2)
	if second.State != "failed" || !strings.Contains(second.Error, "revision folder tampered with") ||
		!strings.Contains(second.Error, "lib/common.sh was changed") {
		t.Fatalf("run in a tampered folder: %s: %q, want failed naming lib/common.sh", second.State, second.Error)
	}
	var attempts api.AttemptList
	s.getJSON(fmt.Sprintf("/api/v1/runs/%d/attempts", second.ID), token, &attempts)
	if len(attempts.Attempts) != 0 {
		t.Errorf("a task of the tampered revision ran: %+v", attempts.Attempts)
	}
	waitFor(t, 30*time.Second, "the RevisionTampered page", func() bool {
		return len(rcv.messages("RevisionTampered")["firing"]) > 0
	})
	if page := rcv.messages("RevisionTampered")["firing"][0]; !strings.Contains(page.Details, "lib/common.sh was changed") {
		t.Errorf("the page does not say what changed: %+v", page)
	}

	writable(revDir)
	if err := os.RemoveAll(revDir); err != nil {
		t.Fatal(err)
	}
	s.as(token).must("trigger", "orders")
	third := s.waitRun(token, "manual", 3)
	if third.State != "succeeded" {
		t.Fatalf("run after the tampered folder was removed: %s: %s", third.State, third.Error)
	}
	if got := s.output(token, third.ID, "extract", "greeting"); got != "hello" {
		t.Errorf("the rewritten folder greeted %q, want hello", got)
	}
}
