package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
)

// deployProject copies the deploy package's fixture project (orders after
// ingest; staging, and prod needing one approval from carol or dave).
func deployProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testFired records in dir's store that every channel of route took a
// test alert just now, as gantry alerts test does through a server.
func testFired(t *testing.T, dir, route string) {
	t.Helper()
	st, err := app.OpenStore(t.Context(), app.StoreURL("", dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tf := &record.TestFire{Route: route, Actor: "test", At: time.Now(), OK: true, Channels: []string{"oncall"}}
	if err := st.CreateTestFire(t.Context(), tf, nil); err != nil {
		t.Fatal(err)
	}
}

// gantry runs a command in-process against project dir and wants exit
// code want.
func gantry(t *testing.T, dir string, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := runInProcess(t, append(args, "--project", dir)...)
	if code != want {
		t.Fatalf("gantry %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out, errOut
}

func TestDeployApproveFlow(t *testing.T) {
	t.Parallel()
	dir := deployProject(t)
	out, _ := gantry(t, dir, ExitOK, "deploy", "orders", "--env", "staging", "--as", "alice", "-m", "first")
	for _, want := range []string{"staging run 1: orders", "load", "staging run 1 succeeded", "deployment 1 to staging: active"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy to staging does not say %q:\n%s", want, out)
		}
	}
	out, _ = gantry(t, dir, ExitOK, "deploy", "orders", "--env", "staging", "--as", "bob")
	if !strings.Contains(out, "is already active in staging") {
		t.Errorf("deploying the same content again:\n%s", out)
	}
	// Production wants the pipeline's alert route proven by a test-fire.
	_, errOut := gantry(t, dir, ExitRefused, "deploy", "orders", "--env", "prod", "--as", "alice")
	if !strings.Contains(errOut, "alert-test-fire") || !strings.Contains(errOut, "never test-fired") {
		t.Errorf("deploy to prod before a test-fire of its route:\n%s", errOut)
	}
	testFired(t, dir, "data-oncall")
	out, _ = gantry(t, dir, ExitOK, "deploy", "orders", "--env", "prod", "--as", "alice")
	if !strings.Contains(out, "risk L3 → deployment 2 to prod: pending") || !strings.Contains(out, "waiting for approval: 0 of 1 approvals (gantry approve 2)") {
		t.Errorf("deploy to prod:\n%s", out)
	}
	// Locally --as is only a name: approving or rejecting a deployment to
	// the protected prod needs a server's token.
	for _, tc := range []struct {
		doing string
		args  []string
	}{
		{"approving", []string{"approve", "2", "--as", "alice"}},
		{"approving", []string{"approve", "2", "--as", "carol"}},
		{"rejecting", []string{"reject", "2", "--as", "carol", "--reason", "no"}},
	} {
		_, errOut = gantry(t, dir, ExitRefused, tc.args...)
		want := tc.doing + " a deployment to prod needs an authenticated identity: run gantry serve and " + tc.args[0] +
			" through it with your API token (--server URL --token T)"
		if !strings.Contains(errOut, want) {
			t.Errorf("local %s: %s, want %q", strings.Join(tc.args, " "), errOut, want)
		}
	}
	if got := approveAsServer(t, dir, 2, "carol"); got != record.DeploymentActive {
		t.Errorf("deployment 2 after carol's approval through a server: %s", got)
	}
	out, _ = gantry(t, dir, ExitOK, "revisions", "orders")
	if !regexp.MustCompile(`(?m)^[0-9a-f]{12}\s.*alice\s+succeeded\s+0 errors.*first$`).MatchString(out) {
		t.Errorf("revisions:\n%s", out)
	}
	out, _ = gantry(t, dir, ExitOK, "deployments", "--env", "prod")
	if !regexp.MustCompile(`(?m)^2\s+orders\s+prod\s+[0-9a-f]{12}\s+active\s+L3\s+check,staging,approval,readiness\s+alice`).MatchString(out) {
		t.Errorf("deployments:\n%s", out)
	}

	// A param change is L1: prod's approval applies to it too; rollback
	// undoes it.
	editFile(t, filepath.Join(dir, "pipelines", "orders.yaml"), "target: warehouse", "target: warehouse2")
	out, _ = gantry(t, dir, ExitOK, "diff", "orders", "--env", "prod")
	if !strings.Contains(out, "risk L1") || !strings.Contains(out, `params.target.default: "warehouse" → "warehouse2"`) {
		t.Errorf("diff:\n%s", out)
	}
	// The changed lines, as a unified diff under their class.
	if !strings.Contains(out, "\nL1 (params or env values only):\n  --- a/pipelines/orders.yaml\n  +++ b/pipelines/orders.yaml\n  @@ ") ||
		!strings.Contains(out, "\n  -  target: warehouse\n  +  target: warehouse2\n") {
		t.Errorf("diff does not show the changed lines:\n%s", out)
	}
	out, _ = gantry(t, dir, ExitOK, "deploy", "orders", "--env", "prod", "--as", "alice")
	if !strings.Contains(out, "risk L1 → deployment 3 to prod: pending") || !strings.Contains(out, "0 of 1 approvals") {
		t.Errorf("L1 deploy:\n%s", out)
	}
	approveAsServer(t, dir, 3, "dave")
	gantry(t, dir, ExitUsage, "rollback", "orders", "--env", "prod", "--as", "bob")
	out, _ = gantry(t, dir, ExitOK, "rollback", "orders", "--env", "prod", "--as", "bob", "--reason", "wrong target")
	if !strings.Contains(out, "is active in prod again (deployment 4") {
		t.Errorf("rollback: %s", out)
	}
	// Why each deployment was made, and why it ended.
	out, _ = gantry(t, dir, ExitOK, "deployments")
	for _, re := range []string{
		`(?m)^4\s+orders\s+prod\s.*\sbob\s+\S+ \S+\s+rollback from [0-9a-f]{12}\s+-$`,
		`(?m)^3\s+orders\s+prod\s.*\srolled_back\s.*\s-\s+\S+ \S+ rolled back: wrong target$`,
		`(?m)^2\s+orders\s+prod\s.*\ssuperseded\s.*\s-\s+\S+ \S+ superseded by deployment 3$`,
		`(?m)^1\s+orders\s+staging\s.*\sactive\s.*\sfirst\s+-$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("deployments does not match %s:\n%s", re, out)
		}
	}
	out, _ = gantry(t, dir, ExitOK, "audit", "--pipeline", "orders")
	for _, want := range []string{"carol   approve", "dave    approve", "bob     rollback", "wrong target", "gantry  staging"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
}

// approveAsServer approves deployment id as who, the way a server does
// for a person its token names, and returns the deployment's state.
func approveAsServer(t *testing.T, dir string, id int64, who string) record.DeploymentState {
	t.Helper()
	st, err := app.OpenStore(t.Context(), app.StoreURL("", dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := deploy.New(deploy.Options{Store: st}).Approve(t.Context(), who, id, "")
	if err != nil {
		t.Fatalf("%s approves deployment %d: %v", who, id, err)
	}
	return r.Deployment.State
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), old) {
		t.Fatalf("edit %s: %v", path, err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDeployGateRefusal(t *testing.T) {
	t.Parallel()
	dir := deployProject(t)
	editFile(t, filepath.Join(dir, "scripts", "load.sh"), "set -eu\n", "set -eu\ntoken=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\n")
	out, errOut := gantry(t, dir, ExitRefused, "deploy", "orders", "--env", "staging", "--as", "alice")
	if !strings.Contains(errOut, "hardcoded-secret") || !strings.Contains(errOut, "scripts/load.sh") ||
		!strings.Contains(errOut, "the readiness gate refused orders (1 error) for staging: nothing was deployed") {
		t.Errorf("refusal:\nstdout %s\nstderr %s", out, errOut)
	}
	if strings.Contains(out+errOut, "ghp_1234567890abcdefghij") {
		t.Error("the refusal prints the secret")
	}
	out, _ = gantry(t, dir, ExitOK, "revisions", "orders")
	if strings.Count(out, "\n") != 1 {
		t.Errorf("a refused deploy left revisions:\n%s", out)
	}
}

func TestDeployUsage(t *testing.T) {
	t.Parallel()
	dir := deployProject(t)
	gantry(t, dir, ExitUsage, "deploy", "orders")
	gantry(t, dir, ExitUsage, "deploy", "orders", "--all", "--env", "prod")
	_, errOut := gantry(t, dir, ExitUsage, "deploy", "orders", "--env", "qa", "--as", "alice")
	if !strings.Contains(errOut, `unknown environment "qa"`) {
		t.Errorf("unknown env: %s", errOut)
	}
	_, errOut = gantry(t, dir, ExitNotFound, "deploy", "nope", "--env", "prod", "--as", "alice")
	if !strings.Contains(errOut, `no pipeline "nope"`) {
		t.Errorf("unknown pipeline: %s", errOut)
	}
	gantry(t, dir, ExitUsage, "approve", "x")
	_, errOut = gantry(t, dir, ExitNotFound, "approve", "7", "--as", "carol")
	if !strings.Contains(errOut, "deployment 7") || !strings.Contains(errOut, "not found") {
		t.Errorf("approving a missing deployment: %s", errOut)
	}
}

func TestDeployServerHoldsStore(t *testing.T) {
	t.Parallel()
	dir := deployProject(t)
	st, err := app.OpenExclusive(t.Context(), dir, app.DefaultStore(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, errOut := gantry(t, dir, ExitRefused, "deployments")
	if !strings.Contains(errOut, "a gantry server is using this store; pass --server") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	dir := deployProject(t)
	out, errOut := gantry(t, dir, ExitOK, "token", "create", "--user", "ci", "--role", "deployer", "--as", "root")
	plain := regexp.MustCompile(`gantry_[A-Za-z0-9_-]{43}`).FindString(out)
	if plain == "" || !strings.Contains(errOut, "cannot be shown again") {
		t.Fatalf("token create:\n%s\n%s", out, errOut)
	}
	gantry(t, dir, ExitUsage, "token", "create", "--user", "ci", "--role", "god", "--as", "root")
	out, _ = gantry(t, dir, ExitOK, "token", "list")
	if strings.Contains(out, plain) || !regexp.MustCompile(`(?m)^1\s+ci\s+deployer\s.*root\s+-$`).MatchString(out) {
		t.Errorf("token list:\n%s", out)
	}
	gantry(t, dir, ExitOK, "token", "revoke", "1", "--as", "root")
	gantry(t, dir, ExitRefused, "token", "revoke", "1", "--as", "root")
	out, _ = gantry(t, dir, ExitOK, "audit")
	if !strings.Contains(out, "token_create") || !strings.Contains(out, "token_revoke") {
		t.Errorf("audit:\n%s", out)
	}
}
