package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exitCodesProject is the deploy test project with a staging run that
// fails (ingest's fetch exits 3) and a pipeline the gate refuses (orders'
// runbook is missing).
func exitCodesProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "scripts", "fetch.sh"), "#!/bin/sh\necho fetch failed\nexit 3\n")
	if err := os.Chmod(filepath.Join(dir, "scripts", "fetch.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	orders := filepath.Join(dir, "pipelines", "orders.yaml")
	data, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, orders, strings.Replace(string(data), "runbook: runbooks/orders.md", "runbook: runbooks/missing.md", 1))
	return dir
}

// Every command exits by one table (gantry help exit-codes), and the same
// command exits with the same code on the local store and through a real
// gantry serve.
func TestExitCodesLocalAndRemote(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		args          []string
		local, remote []string // instead of args, where the modes differ
		want          int
		says          string // in stderr or stdout
	}{
		{name: "staging run failed", args: []string{"deploy", "ingest", "--env", "staging", "--wait"}, want: 1, says: "staging run(s) did not succeed"},
		{name: "gate refused", args: []string{"deploy", "orders", "--env", "staging"}, want: 4, says: "readiness gate refused orders"},
		{name: "unknown environment", args: []string{"deploy", "ingest", "--env", "nope"}, want: 2, says: `"nope"`},
		{name: "unknown pipeline", args: []string{"deploy", "nope", "--env", "staging"}, want: 3, says: `no pipeline "nope"`},
		{name: "promotion of a failed staging run", args: []string{"promote", "ingest", "--from", "staging", "--to", "prod"}, want: 4, says: "failed"},
		{name: "nothing to roll back to", args: []string{"rollback", "ingest", "--env", "staging", "--reason", "test"}, want: 4, says: "no revision of ingest"},
		{name: "deployment not found", args: []string{"approve", "999"}, want: 3, says: "999"},
		{name: "run not found", args: []string{"runs", "show", "999"}, want: 3, says: "999"},
		{name: "logs of a run not found", args: []string{"logs", "999"}, want: 3, says: "999"},
		{name: "logs of a task not found", args: []string{"logs", "1", "nope"}, want: 3, says: "nope"},
		{name: "dead letter not found", args: []string{"dlq", "show", "999"}, want: 3, says: "999"},
		{name: "token not found", args: []string{"token", "revoke", "999"}, want: 3, says: "999"},
		{name: "bad state filter", args: []string{"runs", "--state", "bogus"}, want: 2, says: "bogus"},
		{name: "malformed run number", args: []string{"runs", "show", "abc"}, want: 2, says: "abc"},
		{name: "unknown flag", args: []string{"runs", "--bogus"}, want: 2, says: "bogus"},
		{
			name:   "store or server unreachable",
			local:  []string{"runs", "--store", "postgres://gantry:gantry@127.0.0.1:1/gantry?sslmode=disable&connect_timeout=5"},
			remote: []string{"runs", "--server", "http://127.0.0.1:1"},
			want:   5, says: "refused",
		},
		{name: "ok", args: []string{"deployments"}, want: 0, says: "ingest"},
	}

	localDir, remoteDir := exitCodesProject(t), exitCodesProject(t)
	s := serve(t, remoteDir, nil)
	local := func(args ...string) result {
		return gantryEnv(t, localDir, []string{"GANTRY_USER=alice"}, args...)
	}
	for _, c := range cases {
		for _, mode := range []struct {
			name string
			run  func(args ...string) result
			args []string
		}{
			{"local", local, c.local},
			{"through gantry serve", s.gantry, c.remote},
		} {
			args := mode.args
			if args == nil {
				args = c.args
			}
			r := mode.run(args...)
			if r.code != c.want {
				t.Errorf("%s, %s: exit %d, want %d\n%s", c.name, mode.name, r.code, c.want, r)
			} else if !strings.Contains(r.stdout+r.stderr, c.says) {
				t.Errorf("%s, %s: output does not say %q\n%s", c.name, mode.name, c.says, r)
			}
		}
	}

	// What only a server has: commands that only go through it, roles
	// and tokens.
	viewer := tokenFor(t, s, "vic", "viewer")
	for _, c := range []struct {
		name string
		s    *served
		args []string
		want int
	}{
		{"trigger of a pipeline not found", s, []string{"trigger", "nope"}, 3},
		{"cancel of a run not found", s, []string{"cancel", "999"}, 3},
		{"a viewer may not deploy", s.as(viewer), []string{"deploy", "ingest", "--env", "staging"}, 4},
		{"an unknown token", s.as("gantry_not-a-token"), []string{"runs"}, 4},
	} {
		if r := c.s.gantry(c.args...); r.code != c.want {
			t.Errorf("%s: exit %d, want %d\n%s", c.name, r.code, c.want, r)
		}
	}
}

// tokenFor creates a token for user with role on s.
func tokenFor(t *testing.T, s *served, user, role string) string {
	t.Helper()
	r := s.as(s.adminToken()).must("token", "create", "--user", user, "--role", role)
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "gantry_") {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no token printed:\n%s", r)
	return ""
}

// gantry help exit-codes prints the table.
func TestHelpExitCodes(t *testing.T) {
	t.Parallel()
	r := gantry(t, t.TempDir(), "help", "exit-codes")
	wantCode(t, r, 0)
	for _, want := range []string{"0    done", "1    the thing failed", "2    usage or bad input", "3    not found", "4    refused", "5    unreachable", "130  interrupted"} {
		wantContains(t, "gantry help exit-codes", r.stdout, want)
	}
}
