package cli_test

// End-to-end tests of the gantry command as a user sees it: TestMain builds
// the real binary once and every test execs it in its own temporary
// project. Nothing is mocked.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // storedText reads the store as SQLite does
)

// gantryBin is the binary TestMain builds.
var gantryBin string

// moduleRoot is the repository root (holds go.mod and examples/).
var moduleRoot string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: module root:", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: no go.mod at the module root:", err)
		return 1
	}
	moduleRoot = root
	dir, err := os.MkdirTemp("", "gantry-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	gantryBin = filepath.Join(dir, "gantry")
	build := exec.Command("go", "build", "-o", gantryBin, "./cmd/gantry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/gantry: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what a user sees of one gantry invocation.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("gantry %s\nexit %d\n--- stdout\n%s--- stderr\n%s---", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// baseEnv is the test's environment without any GANTRY_ variable, so a
// developer's $GANTRY_STORE or secrets cannot leak into the tests.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GANTRY_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// command prepares gantry args... in dir.
func command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, gantryBin, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// gantryEnv runs gantry with extra environment variables and returns what
// it printed. It fails the test if gantry does not end within two minutes
// or prints a Go stack trace.
func gantryEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := command(ctx, dir, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.code = ee.ExitCode()
	default:
		t.Fatalf("gantry %s: %v (context: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), r)
	}
	noStackTrace(t, r)
	return r
}

func gantry(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return gantryEnv(t, dir, nil, args...)
}

// stackFrame matches what a Go panic or stack trace prints.
var stackFrame = regexp.MustCompile(`goroutine \d|panic|\.go:\d+`)

func noStackTrace(t *testing.T, r result) {
	t.Helper()
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "goroutine ") || stackFrame.MatchString(out) {
			t.Errorf("output looks like a Go stack trace:\n%s", r)
			return
		}
	}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\n%s", r.code, code, r)
	}
}

func wantContains(t *testing.T, what, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("%s does not contain %q:\n%s", what, s, out)
		}
	}
}

func wantMatch(t *testing.T, what, out, re string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(out) {
		t.Errorf("%s does not match %s:\n%s", what, re, out)
	}
}

// testRunbook is a runbook for pipeline name with a section per failure,
// given in threes (heading, diagnosis command, recovery command), and the
// section the out-of-memory, lost-attempt and dead-letter alerts of every
// route link to.
func testRunbook(name string, sections ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Runbook: %s\n", name)
	for i := 0; i+2 < len(sections); i += 3 {
		fmt.Fprintf(&b, "\n## Failure: %s\n\nDiagnosis: `%s`.\n\nRecovery: `%s`.\n", sections[i], sections[i+1], sections[i+2])
	}
	b.WriteString("\n## Out of memory, lost attempts and dead letters\n\nDiagnosis: `gantry runs show RUN_ID`.\n\nRecovery: `gantry dlq replay DLQ_ID`.\n")
	return b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// project makes a temporary project folder holding one pipeline file and
// returns the folder and the file's path.
func project(t *testing.T, name, yaml string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, name)
	writeFile(t, file, yaml)
	return dir, file
}

// summaryRow is one row of the table `gantry run` prints at the end.
type summaryRow struct {
	state    string
	attempts int
	line     string
}

// summary parses the per-task table `gantry run` prints at its end.
func summary(t *testing.T, stdout string) map[string]summaryRow {
	t.Helper()
	rows := map[string]summaryRow{}
	in := false
	for line := range strings.SplitSeq(stdout, "\n") {
		f := strings.Fields(line)
		switch {
		case !in:
			in = len(f) >= 3 && f[0] == "TASK" && f[1] == "STATE" && f[2] == "ATTEMPTS"
		case len(f) < 3 || f[0] == "run" || f[0] == "logs:":
			in = false
		default:
			n, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("summary row %q: attempts %q is not a number", line, f[2])
			}
			rows[f[0]] = summaryRow{state: f[1], attempts: n, line: line}
		}
	}
	return rows
}

// wantSummary checks the state of every task in the summary table.
func wantSummary(t *testing.T, r result, want map[string]string) map[string]summaryRow {
	t.Helper()
	rows := summary(t, r.stdout)
	if len(rows) != len(want) {
		t.Errorf("summary has %d task rows, want %d\n%s", len(rows), len(want), r)
	}
	for task, state := range want {
		if got := rows[task].state; got != state {
			t.Errorf("summary: task %s is %q, want %q\n%s", task, got, state, r)
		}
	}
	return rows
}

// runState returns the state `gantry runs` shows for run id, or "".
func runState(t *testing.T, dir string, id int) string {
	t.Helper()
	r := gantry(t, dir, "runs", "--project", dir)
	wantCode(t, r, 0)
	for line := range strings.SplitSeq(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == strconv.Itoa(id) {
			return f[2]
		}
	}
	t.Errorf("gantry runs does not list run %d:\n%s", id, r)
	return ""
}

// wantNoRuns checks that nothing was recorded in the project's store.
func wantNoRuns(t *testing.T, dir string) {
	t.Helper()
	r := gantry(t, dir, "runs", "--project", dir)
	if !strings.Contains(r.stdout+r.stderr, "no runs") {
		t.Errorf("gantry runs should say there are no runs:\n%s", r)
	}
	if strings.Contains(r.stdout, "RUN") {
		t.Errorf("gantry runs lists runs:\n%s", r)
	}
}

// waitFile polls until path holds a line, and returns it.
func waitFile(t *testing.T, path string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s (last error: %v)", path, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGone polls until the process pid no longer runs: it is gone, or a
// zombie nobody has reaped yet (in a container, pid 1 may never reap it).
func waitGone(t *testing.T, pidText string, timeout time.Duration) {
	t.Helper()
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 1 {
		t.Fatalf("bad pid %q", pidText)
	}
	deadline := time.Now().Add(timeout)
	for {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || isZombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			_ = syscall.Kill(pid, syscall.SIGKILL) // leave no orphan behind the test
			t.Fatalf("child process %d still runs %s after its task ended: %s", pid, timeout, stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// ---------------------------------------------------------------------------

func TestValidate(t *testing.T) {
	t.Parallel()

	t.Run("valid project folder", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: demo\n")
		writeFile(t, filepath.Join(dir, "pipelines", "one.yaml"), `pipeline: one
schedule: {cron: "0 2 * * *", timezone: Europe/Berlin}
tasks:
  - id: a
    run: echo a
  - id: b
    needs: [a]
    run: echo b
`)
		writeFile(t, filepath.Join(dir, "pipelines", "two.yaml"), `pipeline: two
tasks:
  - id: only
    run: echo only
`)
		r := gantry(t, dir, "validate", dir)
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "ok: 2 pipeline(s), 3 task(s) valid")
		if r.stderr != "" {
			t.Errorf("stderr not empty:\n%s", r)
		}
		// No argument: the current folder.
		r = gantry(t, dir, "validate")
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "ok:")
	})

	invalid := []struct {
		name, file, yaml string
		want             []string // regexps, each must match stderr
	}{
		{
			name: "unknown key", file: "unknown.yaml",
			yaml: "pipeline: u\ntasks:\n  - id: a\n    run: echo a\n    tiemout: 5s\n",
			want: []string{`(?m)^unknown\.yaml:5:5: tasks\[0\]\.tiemout: unknown key "tiemout" \(did you mean "timeout"\?\)$`},
		},
		{
			name: "cycle", file: "cycle.yaml",
			yaml: "pipeline: c\ntasks:\n  - id: a\n    needs: [b]\n    run: echo a\n  - id: b\n    needs: [a]\n    run: echo b\n",
			want: []string{`(?m)^cycle\.yaml:\d+:\d+: .*cycle: (a → b → a|b → a → b)$`},
		},
		{
			name: "bad cron", file: "cron.yaml",
			yaml: "pipeline: cr\nschedule: {cron: \"61 * * * *\"}\ntasks:\n  - id: a\n    run: echo a\n",
			want: []string{`(?m)^cron\.yaml:2:\d+: schedule\.cron: invalid cron "61 \* \* \* \*"`},
		},
		{
			name: "several errors", file: "multi.yaml",
			yaml: "pipeline: m\ntasks:\n  - id: a\n    run: echo a\n    needs: [nosuch]\n    timeout: banana\n  - id: b\n    ruun: echo b\n",
			want: []string{
				`(?m)^multi\.yaml:5:\d+: tasks\[0\]\.needs: unknown task "nosuch"$`,
				`(?m)^multi\.yaml:6:\d+: tasks\[0\]\.timeout: invalid duration "banana"`,
				`(?m)^multi\.yaml:7:5: tasks\[1\]: missing ` + "`run:`",
				`(?m)^multi\.yaml:8:5: tasks\[1\]\.ruun: unknown key "ruun" \(did you mean "run"\?\)$`,
				`(?m)^gantry: 4 error\(s\)$`,
			},
		},
		{
			name: "over the size limit", file: "big.yaml",
			yaml: "pipeline: big\ntasks: [{id: a, run: echo a}]\n" + strings.Repeat("# padding\n", 2<<20/10),
			want: []string{`(?m)^big\.yaml: file is 2\.0 MiB, over the 1 MiB limit for pipeline files$`},
		},
		{
			name: "alias bomb", file: "bomb.yaml",
			yaml: aliasBombPipeline(),
			want: []string{
				`(?m)^bomb\.yaml:1031:5: alias expansion over budget \(\*t takes it past 50000 nodes reached through aliases, for a document of 4012\): YAML aliases may not multiply the document$`,
				`(?m)^gantry: 1 error\(s\)$`,
			},
		},
		{
			name: "runbook outside the project", file: "runbook.yaml",
			yaml: "pipeline: rb\ntasks: [{id: a, run: echo a}]\nrunbook: /etc/passwd\n",
			want: []string{`(?m)^runbook\.yaml:3:10: runbook: "/etc/passwd" is outside the project`},
		},
		{
			name: "broken YAML", file: "broken.yaml",
			yaml: "pipeline: b\ntasks:\n  - id: a\n    run: \"echo a\n  - id: [\n",
			want: []string{`(?m)^broken\.yaml:\d+(:\d+)?: invalid YAML`},
		},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, _ := project(t, tc.file, tc.yaml)
			r := gantry(t, dir, "validate", tc.file)
			wantCode(t, r, 1)
			for _, re := range tc.want {
				wantMatch(t, "stderr", r.stderr, re)
			}
			if strings.Contains(r.stdout, "ok:") {
				t.Errorf("invalid file reported ok:\n%s", r)
			}
		})
	}

	t.Run("all files of a folder at once", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, tc := range invalid {
			writeFile(t, filepath.Join(dir, tc.file), tc.yaml)
		}
		r := gantry(t, dir, "validate", ".")
		wantCode(t, r, 1)
		for _, tc := range invalid {
			wantContains(t, "stderr", r.stderr, tc.file+":")
		}
	})

	t.Run("alias bomb in gantry.yaml", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString("project: bomb\nalerts:\n  channels: {c: {type: webhook, url: 'http://x/', secret: s}}\n")
		b.WriteString("  routes:\n    r:\n      channels: [c]\n      routes:\n        - &a0 {match: {k: v}}\n")
		for i := 1; i < 7; i++ {
			refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ",")
			fmt.Fprintf(&b, "        - &a%d {match: {k: v}, routes: [%s]}\n", i, refs)
		}
		writeFile(t, filepath.Join(dir, "gantry.yaml"), b.String())
		writeFile(t, filepath.Join(dir, "pipelines", "a.yaml"), "pipeline: a\ntasks: [{id: a, run: echo a}]\n")
		r := gantry(t, dir, "validate")
		wantCode(t, r, 1)
		wantMatch(t, "stderr", r.stderr, `(?m)^gantry\.yaml:10:52: alias expansion over budget \(\*a1 takes it past 50000 nodes`)
	})

	t.Run("path that does not exist", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r := gantry(t, dir, "validate", "nope.yaml")
		wantCode(t, r, 2)
		wantContains(t, "stderr", r.stderr, "nope.yaml: no such file or directory")
	})
}

// aliasBombPipeline is a 30 KB pipeline whose 2000 tasks are one anchored
// task with 1000 env variables: two million nodes to walk, once took 30 s
// and 500 MB to validate.
func aliasBombPipeline() string {
	var b strings.Builder
	b.WriteString("pipeline: p\ntasks:\n  - &t\n    id: t\n    run: x\n    env:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "      K%05d: v\n", i)
	}
	b.WriteString(strings.Repeat("  - *t\n", 1999))
	return b.String()
}

func TestRunSmallPipeline(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "small.yaml", `pipeline: small
tasks:
  - id: a
    run: echo hello-from-a
  - id: b
    needs: [a]
    run: echo hello-from-b; echo rows=5 >> "$GANTRY_OUTPUT"
  - id: c
    run: echo hello-from-c
`)
	t.Run("run", func(t *testing.T) {
		r := gantry(t, dir, "run", file, "--date", "2026-11-21")
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "run 1: small for [2026-11-21T00:00:00Z, 2026-11-22T00:00:00Z)", "run 1 succeeded")
		rows := wantSummary(t, r, map[string]string{"a": "succeeded", "b": "succeeded", "c": "succeeded"})
		wantContains(t, "summary row of b", rows["b"].line, "rows=5")
		if r.stderr != "" {
			t.Errorf("stderr not empty:\n%s", r)
		}
	})
	t.Run("runs", func(t *testing.T) {
		if got := runState(t, dir, 1); got != "succeeded" {
			t.Errorf("run 1 is %q, want succeeded", got)
		}
		r := gantry(t, dir, "runs", "--project", dir)
		wantMatch(t, "gantry runs", r.stdout, `(?m)^1\s+small\s+succeeded\s+manual\s+-\s+-\s+2026-11-21T00:00:00Z`)
	})
	t.Run("logs of one task", func(t *testing.T) {
		r := gantry(t, dir, "logs", "1", "a", "--project", dir)
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "==> run 1 task a attempt 1: succeeded <==", "hello-from-a")
		if strings.Contains(r.stdout, "hello-from-b") {
			t.Errorf("logs of task a show task b:\n%s", r)
		}
	})
	t.Run("logs of the run", func(t *testing.T) {
		r := gantry(t, dir, "logs", "1", "--project", dir)
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "hello-from-a", "hello-from-b", "hello-from-c")
	})
	t.Run("logs of a run that does not exist", func(t *testing.T) {
		r := gantry(t, dir, "logs", "999", "--project", dir)
		if r.code == 0 {
			t.Fatalf("exit 0 for a missing run\n%s", r)
		}
		wantContains(t, "stderr", r.stderr, "not found")
	})
}

func TestRunFailingPipeline(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "failing.yaml", `pipeline: failing
tasks:
  - id: a
    run: echo trying-a; exit 3
    retries: {attempts: 2, initial: 10ms}
  - id: b
    needs: [a]
    run: echo b-ran > b.ran
  - id: c
    run: echo c-ran
`)
	r := gantry(t, dir, "run", file, "--date", "2026-11-21")
	wantCode(t, r, 1)
	wantMatch(t, "stdout", r.stdout, `(?m)^\S+\s+a\s+failed exit status 3; retrying in \d+ms`)
	wantMatch(t, "stdout", r.stdout, `(?m)^\S+\s+b\s+upstream_failed`)
	rows := wantSummary(t, r, map[string]string{"a": "failed", "b": "upstream_failed", "c": "succeeded"})
	if rows["a"].attempts != 2 || rows["b"].attempts != 0 || rows["c"].attempts != 1 {
		t.Errorf("attempts a=%d b=%d c=%d, want 2 0 1\n%s", rows["a"].attempts, rows["b"].attempts, rows["c"].attempts, r)
	}
	wantMatch(t, "stdout", r.stdout, `(?m)^run 1 failed: task a: exit status 3$`)
	wantContains(t, "stdout", r.stdout, "gantry logs 1 --project "+dir)
	if _, err := os.Stat(filepath.Join(dir, "b.ran")); err == nil {
		t.Error("b ran although it needs a, which failed")
	}
	if got := runState(t, dir, 1); got != "failed" {
		t.Errorf("gantry runs shows run 1 %q, want failed", got)
	}
	logs := gantry(t, dir, "logs", "1", "a", "--project", dir)
	wantCode(t, logs, 0)
	wantContains(t, "logs", logs.stdout,
		"==> run 1 task a attempt 1: failed (exit status 3) <==",
		"==> run 1 task a attempt 2: failed (exit status 3) <==")
	if n := strings.Count(logs.stdout, "trying-a"); n != 2 {
		t.Errorf("logs show %d attempts' output, want 2\n%s", n, logs)
	}
	one := gantry(t, dir, "logs", "1", "a", "--attempt", "2", "--project", dir)
	wantCode(t, one, 0)
	if strings.Contains(one.stdout, "attempt 1") {
		t.Errorf("--attempt 2 shows attempt 1:\n%s", one)
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	const pipeline = `pipeline: greet
params:
  name: world
tasks:
  - id: hello
    run: echo hello {{ .Params.name }}
`
	t.Run("undeclared param", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "greet.yaml", pipeline)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21", "--param", "nosuch=1")
		wantCode(t, r, 2)
		wantContains(t, "stderr", r.stderr, `unknown param "nosuch"`, "declares: name", "nothing was run")
		if strings.Contains(r.stdout, "started") || strings.Contains(r.stdout, "TASK") {
			t.Errorf("a refused run printed progress:\n%s", r)
		}
		wantNoRuns(t, dir)
	})
	t.Run("malformed param", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "greet.yaml", pipeline)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21", "--param", "novalue")
		wantCode(t, r, 2)
		wantContains(t, "stderr", r.stderr, `--param "novalue": want key=value`)
	})
	t.Run("injection attempt is harmless", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "greet.yaml", pipeline)
		const evil = `x'; touch pwned; echo '`
		r := gantry(t, dir, "run", file, "--date", "2026-11-21", "--param", "name="+evil)
		wantCode(t, r, 0)
		wantSummary(t, r, map[string]string{"hello": "succeeded"})
		for _, d := range []string{dir, filepath.Dir(file)} {
			if _, err := os.Stat(filepath.Join(d, "pwned")); err == nil {
				t.Fatalf("the param value ran as a command: %s exists", filepath.Join(d, "pwned"))
			}
		}
		logs := gantry(t, dir, "logs", "1", "hello", "--project", dir)
		wantContains(t, "logs", logs.stdout, "hello "+evil+"\n")
	})
}

func TestCtrlC(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "slow.yaml", `pipeline: slow
tasks:
  - id: sleeper
    run: sleep 1000 & echo $! > child.pid; wait
  - id: after
    needs: [sleeper]
    run: echo after > after.ran
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := command(ctx, dir, nil, "run", file, "--date", "2026-11-21")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child := waitFile(t, filepath.Join(dir, "child.pid"), 30*time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	r := result{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ctx.Err() != nil) {
		t.Fatalf("gantry did not end after SIGINT: %v\n%s", err, r)
	}
	if ee != nil {
		r.code = ee.ExitCode()
	}
	noStackTrace(t, r)

	waitGone(t, child, 15*time.Second)
	wantContains(t, "output", r.stdout+r.stderr, "cancelled")
	if got := runState(t, dir, 1); got != "cancelled" {
		t.Errorf("gantry runs shows run 1 %q, want cancelled", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "after.ran")); err == nil {
		t.Error("a task downstream of the cancelled one ran")
	}

	check(t, r.code == 130, "Ctrl-C: exit status %d, want 130 (README: 130 cancelled)\n%s", r.code, r)
	check(t, strings.Contains(r.stdout, "run 1 cancelled"), "Ctrl-C: no \"run 1 cancelled\" line and no summary\n%s", r)
	check(t, !strings.Contains(r.stderr, "context canceled"), "Ctrl-C: stderr shows an internal error\n%s", r)
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "slow.yaml", `pipeline: slow
tasks:
  - id: sleeper
    timeout: 300ms
    run: sleep 1000 & echo $! > child.pid; wait
`)
	start := time.Now()
	r := gantry(t, dir, "run", file, "--date", "2026-11-21")
	took := time.Since(start)
	wantCode(t, r, 1)
	rows := wantSummary(t, r, map[string]string{"sleeper": "timed_out"})
	if rows["sleeper"].attempts != 1 {
		t.Errorf("attempts %d, want 1\n%s", rows["sleeper"].attempts, r)
	}
	wantContains(t, "stdout", r.stdout, "timed out after 300ms", "run 1 failed")
	if took > 30*time.Second {
		t.Errorf("a 300ms timeout took %s to end the run", took)
	}
	waitGone(t, waitFile(t, filepath.Join(dir, "child.pid"), time.Second), 15*time.Second)
	if got := runState(t, dir, 1); got != "failed" {
		t.Errorf("gantry runs shows run 1 %q, want failed", got)
	}
}

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("perl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("perl is needed in CI: %v", err)
		}
		t.Skipf("perl not installed: %v", err)
	}
	dir, file := project(t, "hog.yaml", `pipeline: hog
tasks:
  - id: hog
    resources: {memory: 64Mi}
    run: perl -e '$x = "a" x (300*1024*1024); sleep 5'
`)
	r := gantry(t, dir, "run", file, "--date", "2026-11-21")
	wantCode(t, r, 1)
	wantSummary(t, r, map[string]string{"hog": "memory_exceeded"})
	wantContains(t, "stdout", r.stdout, "memory limit 64Mi exceeded", "run 1 failed")
	if got := runState(t, dir, 1); got != "failed" {
		t.Errorf("gantry runs shows run 1 %q, want failed", got)
	}
}

func TestFollow(t *testing.T) {
	t.Parallel()
	const pipeline = `pipeline: chatty
tasks:
  - id: first
    run: printf 'one-a\none-b\n'; echo one-err >&2
  - id: second
    needs: [first]
    run: printf 'two-a\ntwo-b\n'
`
	t.Run("with --follow", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "chatty.yaml", pipeline)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21", "--follow")
		wantCode(t, r, 0)
		for _, want := range []string{"first | one-a", "first | one-b", "first | one-err", "second | two-a", "second | two-b"} {
			wantMatch(t, "stdout", r.stdout, `(?m)^`+regexp.QuoteMeta(want)+`$`)
		}
		wantMatch(t, "stdout", r.stdout, `(?m)^first \| one-a\nfirst \| one-b$`)
		if regexp.MustCompile(`(?m)^(one|two)-`).MatchString(r.stdout) {
			t.Errorf("task output without its task id prefix:\n%s", r)
		}
		wantSummary(t, r, map[string]string{"first": "succeeded", "second": "succeeded"})
	})
	t.Run("without --follow", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "chatty.yaml", pipeline)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21")
		wantCode(t, r, 0)
		if strings.Contains(r.stdout, "one-a") {
			t.Errorf("task output shown without --follow:\n%s", r)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	const valid = "pipeline: x\ntasks:\n  - id: a\n    run: echo a > a.ran\n"
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"run without a file", []string{"run"}, "gantry run needs a pipeline FILE"},
		{"run with an impossible date", []string{"run", "x.yaml", "--date", "2026-13-45"}, `--date "2026-13-45": want YYYY-MM-DD`},
		{"run with a file that does not exist", []string{"run", "nope.yaml"}, "nope.yaml: no such file or directory"},
		{"date with interval", []string{"run", "x.yaml", "--date", "2026-11-21", "--interval-start", "2026-11-21", "--interval-end", "2026-11-22"}, "--date cannot be combined"},
		{"interval start alone", []string{"run", "x.yaml", "--interval-start", "2026-11-21"}, "--interval-start and --interval-end go together"},
		{"reversed interval", []string{"run", "x.yaml", "--interval-start", "2026-11-22", "--interval-end", "2026-11-21"}, "is not after"},
		{"bad interval", []string{"run", "x.yaml", "--interval-start", "yesterday", "--interval-end", "2026-11-21"}, "want RFC 3339"},
		{"unknown flag", []string{"run", "x.yaml", "--bogus"}, "unknown flag: --bogus"},
		{"unknown command", []string{"nosuchcmd"}, `unknown command "nosuchcmd"`},
		{"runs with limit 0", []string{"runs", "--limit", "0"}, "--limit must be at least 1"},
		{"logs with a bad run number", []string{"logs", "abc"}, `RUN "abc": want a run number`},
		{"logs without a run", []string{"logs"}, "accepts between 1 and 2 arg(s)"},
		{"project that does not exist", []string{"runs", "--project", "nowhere"}, "nowhere: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, _ := project(t, "x.yaml", valid)
			r := gantry(t, dir, tc.args...)
			wantCode(t, r, 2)
			wantContains(t, "stderr", r.stderr, tc.want)
			if _, err := os.Stat(filepath.Join(dir, "a.ran")); err == nil {
				t.Error("a task ran despite a usage error")
			}
			if _, err := os.Stat(filepath.Join(dir, ".gantry")); err == nil {
				t.Error("a usage error created the project's store")
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	const canary = "canary-value-123"
	canaryEnv := []string{"GANTRY_SECRET_DB_PW=" + canary}

	// noCanary fails if the canary is in any file under dir/.gantry.
	noCanary := func(t *testing.T, dir string) []string {
		t.Helper()
		var leaks []string
		err := filepath.WalkDir(filepath.Join(dir, ".gantry"), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(canary)) {
				leaks = append(leaks, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return leaks
	}

	t.Run("redacted in logs and never stored", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "sec.yaml", `pipeline: sec
tasks:
  - id: uses
    run: echo "pw is $PW"; echo "$PW" >&2
    env:
      PW: {secret: db_pw}
`)
		r := gantryEnv(t, dir, canaryEnv, "run", file, "--date", "2026-11-21", "--follow")
		wantCode(t, r, 0)
		wantSummary(t, r, map[string]string{"uses": "succeeded"})
		wantContains(t, "follow output", r.stdout, "uses | pw is <redacted>")
		logs := gantry(t, dir, "logs", "1", "--project", dir)
		wantCode(t, logs, 0)
		wantContains(t, "logs", logs.stdout, "pw is <redacted>\n<redacted>\n")
		for _, out := range []string{r.stdout, r.stderr, logs.stdout, logs.stderr} {
			if strings.Contains(out, canary) {
				t.Errorf("the secret's value was printed:\n%s\n%s", r, logs)
			}
		}
		if leaks := noCanary(t, dir); len(leaks) > 0 {
			t.Errorf("the secret's value is stored in %v", leaks)
		}
	})

	t.Run("reported outputs and other tasks", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "sec.yaml", `pipeline: sec
tasks:
  - id: reports
    run: echo "pw=$PW" >> "$GANTRY_OUTPUT"
    env:
      PW: {secret: db_pw}
  - id: bystander
    run: env
`)
		r := gantryEnv(t, dir, canaryEnv, "run", file, "--date", "2026-11-21")
		wantCode(t, r, 0)
		wantSummary(t, r, map[string]string{"reports": "succeeded", "bystander": "succeeded"})
		logs := gantry(t, dir, "logs", "1", "--project", dir)
		check(t, !strings.Contains(r.stdout, canary), "a secret a task writes to $GANTRY_OUTPUT is printed in the run summary:\n%s", r)
		check(t, !strings.Contains(logs.stdout, canary), "a task that does not reference the secret sees $GANTRY_SECRET_DB_PW and its log shows the value:\n%s",
			grepLines(logs.stdout, canary))
		leaks := noCanary(t, dir)
		check(t, len(leaks) == 0, "the secret's value is stored in %v", leaks)
	})

	// Every shape in which a task can print a secret: a multi-line value
	// whole, one line of it alone, a value across the 64 KiB piece of a
	// long line and across separate write() calls, in an output key and in
	// a malformed output line. None may reach the log, the store (every
	// text column), gantry logs, runs show, or what gantry run prints.
	t.Run("every shape", func(t *testing.T) {
		t.Parallel()
		const pem = "-----BEGIN PRIVATE KEY-----\n" +
			"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n" +
			"MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n" +
			"-----END PRIVATE KEY-----\n"
		secrets := []string{canary}
		for l := range strings.SplitSeq(pem, "\n") {
			if l != "" {
				secrets = append(secrets, l)
			}
		}
		dir, file := project(t, "sec.yaml", `pipeline: sec
tasks:
  - id: shapes
    run: |
      printf 'whole: %s' "$KEY"
      echo "one line: $(printf %s "$KEY" | sed -n 3p)"
      head -c 65530 /dev/zero | tr '\0' x; printf '%s\n' "$PW"
      printf 'bytes: %s\n' "$PW" | dd bs=1 2>/dev/null
      echo "k$PW=1" >> "$GANTRY_OUTPUT"
      echo "oops $PW" >> "$GANTRY_OUTPUT"
      echo "rows=3" >> "$GANTRY_OUTPUT"
    env:
      KEY: {secret: db_key}
      PW: {secret: db_pw}
`)
		r := gantryEnv(t, dir, append(canaryEnv, "GANTRY_SECRET_DB_KEY="+pem), "run", file, "--date", "2026-11-21", "--follow")
		wantCode(t, r, 0)
		wantSummary(t, r, map[string]string{"shapes": "succeeded"})
		// The key ends in its newline, so the next line follows at once.
		shown := []string{"whole: <redacted>one line: <redacted>\n", "x<redacted>\n", "bytes: <redacted>\n"}
		logs := gantry(t, dir, "logs", "1", "--project", dir)
		wantCode(t, logs, 0)
		for _, want := range shown {
			check(t, strings.Contains(r.stdout, want), "follow output lacks %q:\n%s", want, grepLines(r.stdout, "<redacted>"))
			check(t, strings.Contains(logs.stdout, want), "gantry logs lacks %q:\n%s", want, grepLines(logs.stdout, "<redacted>"))
		}
		wantContains(t, "run warnings", r.stdout+r.stderr, `"k<redacted>=1"`, `"oops <redacted>"`)
		show := gantry(t, dir, "runs", "show", "1", "--project", dir)
		wantCode(t, show, 0)
		wantContains(t, "runs show", show.stdout, "$GANTRY_OUTPUT problems", `shapes attempt 1: line 1: "k<redacted>=1"`, `line 2: "oops <redacted>"`)
		for _, out := range []result{r, logs, show} {
			for _, s := range secrets {
				check(t, !strings.Contains(out.stdout+out.stderr, s), "secret text %q printed:\n%s", s, grepLines(out.stdout+out.stderr, s))
			}
		}
		for _, s := range secrets {
			for _, leak := range storedText(t, filepath.Join(dir, ".gantry", "gantry.db"), s) {
				t.Errorf("secret text %q stored in %s", s, leak)
			}
			err := filepath.WalkDir(filepath.Join(dir, ".gantry"), func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				check(t, err != nil || !bytes.Contains(b, []byte(s)), "secret text %q in %s", s, path)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("missing secret", func(t *testing.T) {
		t.Parallel()
		dir, file := project(t, "sec.yaml", `pipeline: sec
tasks:
  - id: uses
    run: echo "$PW" > used
    env:
      PW: {secret: db_pw}
`)
		r := gantry(t, dir, "run", file, "--date", "2026-11-21")
		wantCode(t, r, 2)
		wantContains(t, "stderr", r.stderr, `secret "db_pw"`, "GANTRY_SECRET_DB_PW", "nothing was run")
		if _, err := os.Stat(filepath.Join(dir, "used")); err == nil {
			t.Error("the task ran without its secret")
		}
		wantNoRuns(t, dir)
	})
}

// storedText returns table.column (row n) of every value in the SQLite
// database at path whose text holds sub: every column of every table, read
// through SQLite, so text spread over overflow pages is seen whole.
func storedText(t *testing.T, path, sub string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatalf("no tables in %s", path)
	}
	var leaks []string
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for n := 1; rows.Next(); n++ {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if strings.Contains(v.String, sub) {
					leaks = append(leaks, fmt.Sprintf("%s.%s (row %d)", table, cols[i], n))
				}
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return leaks
}

func grepLines(s, sub string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// copyExample copies examples/NAME, without any .gantry state, into a
// temporary folder and returns the copy.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(moduleRoot, "examples", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".gantry" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		example, file string
		tasks         map[string]string
		outputs       map[string]string // task → text its summary row shows
	}{
		{
			example: "data", file: "pipelines/orders_daily.yaml",
			tasks:   map[string]string{"extract": "succeeded", "transform": "succeeded", "load": "succeeded"},
			outputs: map[string]string{"extract": "rows=", "load": "rows="},
		},
		{
			example: "delivery", file: "pipelines/ship_app.yaml",
			// Locally prod is not touched: its tasks, and the approval
			// before them, are skipped; staging is a throwaway.
			tasks: map[string]string{
				"lint": "succeeded", "test": "succeeded", "build": "succeeded",
				"deploy_staging": "succeeded", "smoke_staging": "succeeded", "teardown_staging": "succeeded",
				"approve_prod": "skipped", "deploy_prod": "skipped", "smoke_prod": "skipped",
			},
			outputs: map[string]string{"build": "digest=", "deploy_staging": "release=1.4.0-1", "smoke_staging": "smoke_ok=1.4.0-1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			dir := copyExample(t, tc.example)
			v := gantry(t, dir, "validate", dir)
			wantCode(t, v, 0)
			wantContains(t, "validate", v.stdout, "ok: 1 pipeline(s)")

			r := gantry(t, dir, "run", filepath.Join(dir, tc.file), "--date", "2026-11-21")
			wantCode(t, r, 0)
			rows := wantSummary(t, r, tc.tasks)
			for task, want := range tc.outputs {
				wantContains(t, "summary row of "+task, rows[task].line, want)
			}
			wantContains(t, "stdout", r.stdout, "run 1 succeeded")
			if left, _ := filepath.Glob(filepath.Join(dir, ".gantry", "logs", "*", "env-*")); len(left) > 0 {
				t.Errorf("throwaway environments left behind: %v", left)
			}
			if got := runState(t, dir, 1); got != "succeeded" {
				t.Errorf("gantry runs shows run 1 %q, want succeeded", got)
			}
		})
	}
}

// check fails the test with the message when ok is false.
func check(t *testing.T, ok bool, format string, a ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, a...)
	}
}
