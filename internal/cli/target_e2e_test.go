package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/server"
)

const helloPipeline = `pipeline: hello
tasks:
  - id: greet
    timeout: 60s
    run: echo hello
`

// Every command run in a project finds the project's running server by
// itself and goes through it — deploy-side commands, reading commands
// and commands that change the server's state — and says so with
// --verbose; gantry run refuses at once, saying to trigger the run there.
// Once the server stopped (its address file gone) or died (the file
// left behind), commands use the local store again and say why.
func TestCommandsFindTheProjectServer(t *testing.T) {
	t.Parallel()
	dir, file := project(t, filepath.Join("pipelines", "hello.yaml"), helloPipeline)
	s := serve(t, dir, nil)

	var a server.Address
	data, err := os.ReadFile(filepath.Join(dir, server.AddressFile))
	if err != nil {
		t.Fatalf("the server did not record its address: %v", err)
	}
	if err := json.Unmarshal(data, &a); err != nil || a.URL != s.url || a.PID != s.cmd.Process.Pid || a.StoreID == "" {
		t.Errorf("%s: %s (want url %s, pid %d, a store id)", server.AddressFile, data, s.url, s.cmd.Process.Pid)
	}

	start := time.Now()
	r := gantry(t, dir, "token", "create", "--user", "ci", "--role", "viewer", "--verbose")
	wantCode(t, r, 0)
	wantContains(t, "token create --verbose", r.stderr, "through the server at "+s.url, "found in "+server.AddressFile)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("token create took %v", d)
	}
	r = gantry(t, dir, "trigger", "hello")
	wantCode(t, r, 0)
	wantContains(t, "trigger", r.stdout, "run 1 of hello")
	waitFor(t, 60*time.Second, "run 1 to succeed through the server", func() bool {
		return strings.Contains(gantry(t, dir, "runs").stdout, "succeeded")
	})
	r = gantry(t, dir, "token", "list")
	wantCode(t, r, 0)
	wantContains(t, "token list", r.stdout, "ci", "viewer")

	r = gantry(t, dir, "run", file)
	wantCode(t, r, 4)
	wantContains(t, "run with a server running", r.stderr, "another gantry server is using this project's store",
		"gantry trigger hello", "nothing was run")

	r = gantry(t, dir, "runs", "--server", strings.TrimPrefix(s.url, "http://"))
	wantCode(t, r, 2)
	wantContains(t, "--server without a scheme", r.stderr, "want a URL with its scheme, such as "+s.url)

	s.stop()
	if _, err := os.Stat(filepath.Join(dir, server.AddressFile)); !os.IsNotExist(err) {
		t.Errorf("the stopped server left %s behind (%v)", server.AddressFile, err)
	}
	r = gantry(t, dir, "runs", "--verbose")
	wantCode(t, r, 0)
	wantContains(t, "runs after the server stopped", r.stderr, "on the local store", "no server runs for this project")
	wantContains(t, "runs after the server stopped", r.stdout, "succeeded")
	r = gantry(t, dir, "trigger", "hello")
	wantCode(t, r, 5)
	wantContains(t, "trigger without a server", r.stderr, "none runs for project", "gantry serve")

	// A server killed outright leaves its file: a dead pid, or a live
	// process where nothing answers, is ignored.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name string
		pid  int
		says string
	}{
		{"dead pid", dead.Process.Pid, "ignored the stale"},
		{"nothing answers", os.Getpid(), "nothing answers at"},
	} {
		if err := server.WriteAddress(dir, server.Address{URL: "http://" + freeAddr(t), PID: tc.pid, Host: host}); err != nil {
			t.Fatal(err)
		}
		r = gantry(t, dir, "runs", "--verbose")
		wantCode(t, r, 0)
		wantContains(t, tc.name, r.stderr, "on the local store", tc.says)
	}
	r = gantry(t, dir, "run", file, "--verbose")
	wantCode(t, r, 0)
	wantContains(t, "run beside a stale address file", r.stderr, "on the local store", "nothing answers at")
}
