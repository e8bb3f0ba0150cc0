package cli_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/amtest"
)

// TestComposeWalkthrough follows the README's "Running Gantry in
// containers" walkthrough on the real binary, without the containers
// (they cannot run on this machine, see deploy/): a copy of the bundled
// project with deploy/gantry.compose.yaml as its settings, `gantry serve
// --env prod` on PostgreSQL with the password from a pgpass file (as
// compose passes it), a real Alertmanager as the alert channel, and the
// commands as the README lists them, tokens and roles included.
func TestComposeWalkthrough(t *testing.T) {
	t.Parallel()
	am := amtest.Start(t)
	dir := copyExample(t, "data")
	settings, err := os.ReadFile(filepath.Join(moduleRoot, "deploy", "gantry.compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(settings), "http://alertmanager:9093") {
		t.Fatal("deploy/gantry.compose.yaml no longer posts to the stack's Alertmanager")
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.ReplaceAll(string(settings), "http://alertmanager:9093", am))

	// The store URL carries no password: it comes from PGPASSFILE.
	u, err := url.Parse(pgSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	pgpass := filepath.Join(t.TempDir(), "pgpass")
	writeFile(t, pgpass, fmt.Sprintf("%s:%s:%s:%s:%s\n", u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), u.User.Username(), pass))
	if err := os.Chmod(pgpass, 0o600); err != nil {
		t.Fatal(err)
	}
	u.User = url.User(u.User.Username())
	env := []string{"GANTRY_STORE=" + u.String(), "PGPASSFILE=" + pgpass}

	s := serve(t, dir, env, "--env", "prod")
	admin := strings.TrimSpace(waitFile(t, filepath.Join(dir, ".gantry", "admin-token"), 10*time.Second))
	as := func(token string, args ...string) result {
		t.Helper()
		r := gantryEnv(t, dir, append([]string{"GANTRY_SERVER=" + s.url, "GANTRY_TOKEN=" + token}, env...), args...)
		noStackTrace(t, r)
		if r.code != 0 {
			t.Fatalf("%s\n--- server log\n%s", r, tail(s.log, 30))
		}
		return r
	}
	lastLine := func(r result) string {
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		return lines[len(lines)-1]
	}
	deployer := lastLine(as(admin, "token", "create", "--user", "alice", "--role", "deployer"))
	approver := lastLine(as(admin, "token", "create", "--user", "bob", "--role", "approver"))
	if !strings.HasPrefix(deployer, "gantry_") || !strings.HasPrefix(approver, "gantry_") {
		t.Fatalf("token create's last line is not the token: %q, %q", deployer, approver)
	}

	r := as(deployer, "deploy", "orders_daily", "--env", "staging", "--wait", "--project", dir)
	wantContains(t, "deploy --wait", r.stdout, "succeeded")
	as(admin, "alerts", "test", "--route", "data-oncall")
	r = as(deployer, "promote", "orders_daily", "--from", "staging", "--to", "prod")
	r = as(admin, "deployments", "orders_daily", "--env", "prod")
	m := regexp.MustCompile(`(?m)^(\d+)\s+orders_daily\s+prod\s+\S+\s+pending`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no pending prod deployment:\n%s", r.stdout)
	}
	// The deployer cannot approve her own deployment; the approver can.
	self := gantryEnv(t, dir, append([]string{"GANTRY_SERVER=" + s.url, "GANTRY_TOKEN=" + deployer}, env...), "approve", m[1])
	if self.code == 0 {
		t.Fatalf("the deployer approved her own deployment:\n%s", self)
	}
	as(approver, "approve", m[1])
	r = as(admin, "deployments", "orders_daily", "--env", "prod")
	if !regexp.MustCompile(`(?m)^` + m[1] + `\s+orders_daily\s+prod\s+\S+\s+active`).MatchString(r.stdout) {
		t.Fatalf("deployment %s is not active after its approval:\n%s", m[1], r.stdout)
	}
}
