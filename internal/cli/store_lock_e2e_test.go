package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdPipeline's first task records its start in trace, waits for the
// file gate, then records its end; the second records that it ran. A task
// that ran twice, or was killed and retried, shows in trace.
func holdPipeline(trace, gate string) string {
	return fmt.Sprintf(`pipeline: hold
tasks:
  - id: first
    timeout: 120s
    run: |
      echo first-start >> %[1]q
      while ! test -f %[2]q; do sleep 0.05; done
      echo first-end >> %[1]q
  - id: second
    needs: [first]
    run: echo second >> %[1]q
`, trace, gate)
}

// waitTrace waits until trace holds line.
func waitTrace(t *testing.T, trace, line string) {
	t.Helper()
	waitFor(t, 60*time.Second, trace+" to hold "+line, func() bool {
		data, _ := os.ReadFile(trace)
		return bytes.Contains(data, []byte(line+"\n"))
	})
}

// checkRanOnce fails t unless each task of holdPipeline ran exactly once.
func checkRanOnce(t *testing.T, trace string) {
	t.Helper()
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "first-start\nfirst-end\nsecond\n"; got != want {
		t.Errorf("the tasks did not run exactly once each; trace:\n%s", got)
	}
}

// serveRefused runs a gantry serve that is expected to refuse to start,
// and returns what it printed. A server that starts instead fails the
// test, and is killed, after a minute.
func serveRefused(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{"serve", "--project", dir, "--addr", freeAddr(t)}, args...)
	cmd := command(ctx, dir, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("gantry serve was expected to refuse to start, but ran for a minute:\n%s", r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("gantry serve: %v\n%s", err, r)
	}
	noStackTrace(t, r)
	return r
}

// A second server on the same SQLite file is refused however the file is
// named — by a symlink, a path through "..", or a hard link — and the first
// server's run goes on untouched: each task runs once.
func TestSecondServerRefusedOnSameSQLiteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	trace, gate := filepath.Join(dir, "trace"), filepath.Join(dir, "gate")
	writeFile(t, filepath.Join(dir, "pipelines", "hold.yaml"), holdPipeline(trace, gate))
	first := serve(t, dir, nil)
	first.must("trigger", "hold")
	waitTrace(t, trace, "first-start")

	db := filepath.Join(dir, ".gantry", "gantry.db")
	if err := os.Symlink(db, filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(db, filepath.Join(dir, "hard.db")); err != nil {
		t.Fatal(err)
	}
	// sub/../.. is dir itself as the kernel reads it (sub is a symlink
	// to dir/a/b), though lexically it is dir's parent.
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a", "b"), filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, store, says string }{
		{"same path", db, db},
		{"symlink", filepath.Join(dir, "link.db"), db},
		{"relative path through a symlink and ..", "./sub/../../.gantry/gantry.db", db},
		{"hard link", filepath.Join(dir, "hard.db"), filepath.Join(dir, "hard.db")},
	} {
		r := serveRefused(t, dir, nil, "--store", tc.store)
		if r.code == 0 || !strings.Contains(r.stderr, "another gantry server is using this store, "+tc.says+" (the file is locked by another process)") {
			t.Errorf("%s: a second server on the same file was not refused with the lock message:\n%s", tc.name, r)
		}
	}
	if code := first.getJSON("/readyz", "", nil); code != 200 {
		t.Errorf("the first server is not ready any more: %d\n%s", code, tail(first.log, 30))
	}
	writeFile(t, gate, "")
	if run := first.waitRun(first.adminToken(), "manual", 1); run.State != "succeeded" {
		t.Errorf("the first server's run: %s\n%s", run.State, tail(first.log, 30))
	}
	checkRanOnce(t, trace)
}

// A store removed between two starts is not silently replaced by an empty
// one with a new admin token: the server refuses, says how to start afresh,
// and creates nothing; doing as it says starts a new store.
func TestRemovedStoreIsNotReplaced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pipelines", "one.yaml"), "pipeline: one\ntasks:\n  - id: a\n    run: echo a\n")
	s := serve(t, dir, nil)
	token := s.adminToken()
	s.stop()
	db := filepath.Join(dir, ".gantry", "gantry.db")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}

	r := serveRefused(t, dir, nil)
	marker := filepath.Join(dir, ".gantry", "store-id")
	if r.code == 0 || !strings.Contains(r.stderr, "store "+db+" is missing, but this project had a store there") ||
		!strings.Contains(r.stderr, "remove "+marker) {
		t.Errorf("a server started on a removed store without saying so:\n%s", r)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused server created %s (%v)", db, err)
	}
	if got := s.adminToken(); got != token {
		t.Errorf("the refused server replaced the admin token")
	}
	// gantry run on the same project is refused the same way.
	run := gantry(t, dir, "run", filepath.Join(dir, "pipelines", "one.yaml"))
	if run.code == 0 || !strings.Contains(run.stderr, "is missing, but this project had a store there") {
		t.Errorf("gantry run started a new store in place of the removed one:\n%s", run)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused gantry run created %s (%v)", db, err)
	}

	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	s = serve(t, dir, nil)
	if s.adminToken() == token {
		t.Errorf("a new store kept the old admin token")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the new store was not recorded: %v", err)
	}
}

// A store file removed under a running server is reported at once, as an
// error, while the server goes on.
func TestStoreFileRemovedUnderServerIsLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pipelines", "one.yaml"), "pipeline: one\ntasks:\n  - id: a\n    run: echo a\n")
	s := serve(t, dir, []string{"GANTRY_STORE_WATCH_INTERVAL=50ms"})
	db := filepath.Join(dir, ".gantry", "gantry.db")
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	want := "store file " + db + " was removed or replaced under the running server; history written from now on is lost when it stops"
	waitFor(t, 30*time.Second, "the server to log that its store file was removed", func() bool {
		data, _ := os.ReadFile(s.log)
		return bytes.Contains(data, []byte("level=ERROR")) && bytes.Contains(data, []byte(want))
	})
}

// Another project's store put in place of this project's is refused: its
// id is not the one the project recorded.
func TestReplacedStoreIsRefused(t *testing.T) {
	t.Parallel()
	mine, other := t.TempDir(), t.TempDir()
	for _, dir := range []string{mine, other} {
		writeFile(t, filepath.Join(dir, "pipelines", "one.yaml"), "pipeline: one\ntasks:\n  - id: a\n    run: echo a\n")
		if r := gantry(t, dir, "run", filepath.Join(dir, "pipelines", "one.yaml")); r.code != 0 {
			t.Fatal(r)
		}
	}
	data, err := os.ReadFile(filepath.Join(other, ".gantry", "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(mine, ".gantry", "gantry.db")
	writeFile(t, db+".new", string(data))
	if err := os.Rename(db+".new", db); err != nil {
		t.Fatal(err)
	}
	r := gantry(t, mine, "run", filepath.Join(mine, "pipelines", "one.yaml"))
	if r.code == 0 || !strings.Contains(r.stderr, "store "+db+" is not the store this project had there") ||
		!strings.Contains(r.stderr, "remove "+filepath.Join(mine, ".gantry", "store-id")) {
		t.Errorf("a replaced store was used:\n%s", r)
	}
	r = serveRefused(t, mine, nil)
	if r.code == 0 || !strings.Contains(r.stderr, "is not the store this project had there") {
		t.Errorf("a server used a replaced store:\n%s", r)
	}
}
