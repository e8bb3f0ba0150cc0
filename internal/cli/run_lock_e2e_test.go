package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// foregroundRun starts `gantry run` of file in dir in the background; wait
// returns what it printed once it has ended.
func foregroundRun(t *testing.T, dir string, args ...string) (wait func() result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := command(ctx, dir, nil, append([]string{"run"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() {
		defer cancel()
		err := cmd.Wait()
		r := result{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
			r.stderr += "\n" + err.Error()
		}
		done <- r
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-ctx.Done() })
	return func() result { return <-done }
}

// testForegroundRunKeepsServerOff: while a foreground gantry run holds the
// store, a server on it refuses to start (it would take the run's attempt
// for a dead server's and kill its task), saying a run holds it; the run
// goes on untouched and succeeds. Then, with a server on the store, a
// foreground run is refused and runs nothing.
func testForegroundRunKeepsServerOff(t *testing.T, storeArgs ...string) {
	dir := t.TempDir()
	trace, gate := filepath.Join(dir, "trace"), filepath.Join(dir, "gate")
	file := filepath.Join(dir, "pipelines", "hold.yaml")
	writeFile(t, file, holdPipeline(trace, gate))
	wait := foregroundRun(t, dir, append([]string{file, "--date", "2026-11-21"}, storeArgs...)...)
	waitTrace(t, trace, "first-start")

	r := serveRefused(t, dir, nil, storeArgs...)
	if r.code != 4 || !strings.Contains(r.stderr, "a foreground gantry run is using this") {
		t.Errorf("a server on a store a foreground run holds was not refused with exit 4 and the lock message:\n%s", r)
	}
	writeFile(t, gate, "")
	run := wait()
	if run.code != 0 || !strings.Contains(run.stdout, "run 1 succeeded") {
		t.Errorf("the foreground run did not succeed:\n%s", run)
	}
	checkRanOnce(t, trace)

	s := serve(t, dir, nil, storeArgs...)
	r = gantryEnv(t, dir, nil, append([]string{"run", file, "--date", "2026-11-22"}, storeArgs...)...)
	if r.code != 4 || !strings.Contains(r.stderr, "another gantry server is using this") || !strings.Contains(r.stderr, "gantry trigger hold") {
		t.Errorf("a foreground run on a store a server holds was not refused with exit 4, saying to go through the server:\n%s", r)
	}
	checkRanOnce(t, trace) // nothing more ran
	if code := s.getJSON("/readyz", "", nil); code != 200 {
		t.Errorf("the server is not ready: %d", code)
	}
}

func TestForegroundRunKeepsServerOffSQLite(t *testing.T) {
	t.Parallel()
	testForegroundRunKeepsServerOff(t)
}

func TestForegroundRunKeepsServerOffPostgres(t *testing.T) {
	t.Parallel()
	testForegroundRunKeepsServerOff(t, "--store", pgSchemaURL(t))
}
