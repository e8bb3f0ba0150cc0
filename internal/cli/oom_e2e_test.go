package cli_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/spec"
)

// needMemoryCgroup skips where no cgroup memory controller is writable,
// and fails in CI, where one must be.
func needMemoryCgroup(t *testing.T) {
	t.Helper()
	exes, err := app.Executors(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer exes.Close()
	ls, _ := exes.Limits(spec.KindProcess)
	if ls.Memory {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs a writable cgroup memory controller: %s", ls.Note)
	}
	t.Skipf("no writable cgroup memory controller: %s", ls.Note)
}

// oomChildPipeline's task has a child the kernel kills for memory while
// the shell, far under the limit, exits 0.
const oomChildPipeline = `pipeline: oomchild
owner: data-team
alerts: {route: oncall}
tasks:
  - id: hog
    resources: {memory: 32Mi}
    run: perl -e '$x = "a" x (200*1024*1024); sleep 5' & wait $!; echo "child ended $?"; exit 0
`

// A run whose task's child was OOM-killed fails as memory_exceeded, in
// the foreground and through a server, where TaskOutOfMemory is raised.
func TestOOMKilledChild(t *testing.T) {
	t.Parallel()
	needMemoryCgroup(t)

	t.Run("gantry run", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "oomchild.yaml", oomChildPipeline)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21")
		wantCode(t, r, 1)
		wantSummary(t, r, map[string]string{"hog": "memory_exceeded"})
		wantContains(t, "stdout", r.stdout, "memory limit 32Mi exceeded", "killed by the kernel", "run 1 failed")
	})

	t.Run("gantry serve alerts TaskOutOfMemory", func(t *testing.T) {
		t.Parallel()
		const secret = "whsec-oom-e2e"
		rcv := &hookReceiver{t: t, secret: secret}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(alertsProject, "%URL%", hs.URL, 1))
		writeFile(t, filepath.Join(dir, "pipelines", "oomchild.yaml"), oomChildPipeline)
		s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + secret})
		s.must("trigger", "oomchild")
		waitFor(t, 60*time.Second, "the TaskOutOfMemory page", func() bool {
			return len(rcv.messages("TaskOutOfMemory")["firing"]) >= 1
		})
		if a := rcv.messages("TaskOutOfMemory")["firing"][0]; a.Labels["pipeline"] != "oomchild" {
			t.Errorf("labels = %v", a.Labels)
		}
		wantContains(t, "alerts list", s.must("alerts", "list").stdout, "TaskOutOfMemory", "oomchild")
		r := s.must("runs", "show", "1")
		wantContains(t, "runs show", r.stdout, "memory_exceeded", "killed by the kernel")
		if got := runState(t, dir, 1); got != "failed" {
			t.Errorf("run 1 is %q, want failed", got)
		}
	})
}
