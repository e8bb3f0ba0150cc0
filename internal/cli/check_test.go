package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/spf13/cobra"
)

// runInProcess runs the gantry command in this process, as Main does for
// a user, and returns its exit code and output.
func runInProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func checkRoot(out, errb *bytes.Buffer) *cobra.Command {
	return newRoot(out, errb)
}

// baseProjectSrc passes every rule; see internal/check/testdata.
var baseProjectSrc = filepath.Join("..", "check", "testdata", "base", "project")

// passingProject copies the base project out of this repository: the gate
// scans the whole git repository a project is in, and Gantry's own holds
// the gate's test fixtures.
func passingProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(baseProjectSrc)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	baseProject := passingProject(t)
	failing := t.TempDir()
	if err := os.CopyFS(failing, os.DirFS(baseProjectSrc)); err != nil {
		t.Fatal(err)
	}
	orders := filepath.Join(failing, "pipelines", "orders.yaml")
	data, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orders, bytes.Replace(data, []byte("timeout: 1h\n"), nil, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{"passes", []string{"check", baseProject}, ExitOK, "ok: 0 errors"},
		{"fails", []string{"check", failing}, ExitFailed, `run-timeout  pipeline "orders" has no run timeout`},
		{"fails as json", []string{"check", "--format", "json", failing}, ExitFailed, "check failed: 1 error(s)"},
		{"env not production", []string{"check", "--env", "staging", baseProject}, ExitOK, "ok:"},
		{"unknown format", []string{"check", "--format", "xml", baseProject}, ExitUsage, `unknown --format "xml"`},
		{"unknown rule", []string{"check", "--explain", "no-such-rule"}, ExitUsage, `unknown rule "no-such-rule"`},
		{"missing path", []string{"check", filepath.Join(failing, "nope")}, ExitUsage, "no such file or directory"},
		{"file as path", []string{"check", orders}, ExitUsage, "not a project folder"},
		{"two paths", []string{"check", baseProject, failing}, ExitUsage, "at most one PATH"},
		{"unknown env", []string{"check", "--env", "qa", baseProject}, ExitUsage, `unknown environment "qa"`},
		{"unknown flag", []string{"check", "--nope"}, ExitUsage, "unknown flag"},
		{"explain", []string{"check", "--explain", "task-retries"}, ExitOK, "Fix: set retries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runInProcess(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n--- stdout\n%s--- stderr\n%s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.out) {
				t.Errorf("output does not contain %q\n--- stdout\n%s--- stderr\n%s", tc.out, stdout, stderr)
			}
			if strings.Contains(stdout, "\x1b[") {
				t.Error("colour in output that is not a terminal")
			}
		})
	}
}

func TestCheckOutputFile(t *testing.T) {
	t.Parallel()
	baseProject := passingProject(t)
	for _, format := range []string{"json", "sarif", "codequality"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "report."+format)
			code, stdout, stderr := runInProcess(t, "check", "--format", format, "--output", file, baseProject)
			if code != ExitOK || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if format == "codequality" {
				var issues []map[string]any
				if err := json.Unmarshal(data, &issues); err != nil {
					t.Fatalf("codequality report is not a JSON array: %v: %s", err, data)
				}
				return
			}
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("%s report is not JSON: %v", format, err)
			}
			key := map[string]string{"json": "summary", "sarif": "runs"}[format]
			if _, ok := v[key]; !ok {
				t.Errorf("%s report has no %q: %s", format, key, data)
			}
		})
	}
}

// knownExampleFindings are the error findings each bundled example may
// raise: none, for they are written to pass the gate.
var knownExampleFindings = map[string][]string{
	"data":     nil,
	"delivery": nil,
}

// TestCheckExamples runs gantry check, with the real command tree and the
// real secret scanner, over the bundled examples, which are meant to pass.
func TestCheckExamples(t *testing.T) {
	t.Parallel()
	for name, known := range knownExampleFindings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := committedExample(t, name)
			code, stdout, stderr := runInProcess(t, "check", "--format", "json", dir)
			var rep struct {
				Findings []struct {
					Rule, File, Severity string
					Line                 int
					Column               int
					Message              string
				}
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", code, err, stdout, stderr)
			}
			var got []string
			for _, f := range rep.Findings {
				if f.Severity != "error" {
					continue
				}
				id := f.File + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column) + ": " + f.Rule
				got = append(got, id)
				if !slices.Contains(known, id) {
					t.Errorf("examples/%s: new finding %s: %s", name, id, f.Message)
				}
			}
			for _, k := range known {
				if !slices.Contains(got, k) {
					t.Errorf("examples/%s: %s is fixed; remove it from knownExampleFindings", name, k)
				}
			}
			if len(known) == 0 && code != ExitOK {
				t.Errorf("examples/%s: exit %d, want 0\n%s", name, code, stderr)
			}
		})
	}
}

func TestCommandLines(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	read := commandLines(checkRoot(&out, &errb))
	for _, tc := range []struct {
		args    []string
		wantErr string // "" = a real command line
		want    check.CommandLine
	}{
		{args: strings.Fields("runs --pipeline orders_daily --limit 5"),
			want: check.CommandLine{Command: "runs", Pipelines: []string{"orders_daily"}}},
		{args: strings.Fields("runs --state running"), want: check.CommandLine{Command: "runs"}},
		{args: strings.Fields("runs show RUN_ID"), want: check.CommandLine{Command: "runs show"}},
		{args: strings.Fields("logs RUN_ID extract"), want: check.CommandLine{Command: "logs", Tasks: []string{"extract"}}},
		{args: strings.Fields("logs RUN_ID TASK --attempt N"), want: check.CommandLine{Command: "logs", Tasks: []string{"TASK"}}},
		{args: strings.Fields("dlq replay --all --pipeline p --env prod"),
			want: check.CommandLine{Command: "dlq replay", Pipelines: []string{"p"}, Envs: []string{"prod"}}},
		{args: strings.Fields("promote p --from staging --to prod"),
			want: check.CommandLine{Command: "promote", Pipelines: []string{"p"}, Envs: []string{"staging", "prod"}}},
		{args: strings.Fields("rollback p --env prod --to abc123 --reason x"),
			want: check.CommandLine{Command: "rollback", Pipelines: []string{"p"}, Envs: []string{"prod"}}},
		// As the shell passes it: the quoted reason is one argument.
		{args: []string{"rollback", "p", "--env", "prod", "--reason", "bad data"},
			want: check.CommandLine{Command: "rollback", Pipelines: []string{"p"}, Envs: []string{"prod"}}},
		{args: strings.Fields("backfill p --from 2024-03-01 --to 2024-03-04 --dry-run"),
			want: check.CommandLine{Command: "backfill", Pipelines: []string{"p"}}},
		{args: strings.Fields("check --format=sarif -o out.sarif"), want: check.CommandLine{Command: "check"}},
		{args: strings.Fields("runs --help"), want: check.CommandLine{Command: "runs"}},
		{args: strings.Fields("silence add --match pipeline=x --duration 2h --reason r"), want: check.CommandLine{Command: "silence add"}},
		{args: strings.Fields("validate"), want: check.CommandLine{Command: "validate"}},
		// Argument checks that look at flags see the line's.
		{args: strings.Fields("deploy --all --env prod"), want: check.CommandLine{Command: "deploy", Envs: []string{"prod"}}},
		{args: strings.Fields("deploy p --env prod"), want: check.CommandLine{Command: "deploy", Pipelines: []string{"p"}, Envs: []string{"prod"}}},
		{args: strings.Fields("launch orders_daily --env staging"), wantErr: `"launch" is not a gantry command`},
		{args: strings.Fields("rollbak p"), wantErr: `"rollbak" is not a gantry command (did you mean "rollback"?)`},
		{args: strings.Fields("silence mute --match pipeline=x"), wantErr: `"mute" is not a command of gantry silence (it has: add, expire, list)`},
		{args: strings.Fields("runs --no-such-flag"), wantErr: "gantry runs has no flag --no-such-flag"},
		{args: strings.Fields("rollback p --env prod --reasn x"), wantErr: "gantry rollback has no flag --reasn"},
		{args: strings.Fields("runs --pipeline"), wantErr: "flag --pipeline of gantry runs needs a value"},
		{args: strings.Fields("runs --limit five"), wantErr: `invalid argument "five" for "--limit" flag`},
		{args: strings.Fields("runs show"), wantErr: "wrong arguments"},     // a RUN is required
		{args: strings.Fields("runs show 1 2"), wantErr: "wrong arguments"}, // one RUN only
		{args: []string{"rollback", "p", "--env", "prod", "--reason", "bad", "data"}, wantErr: "wrong arguments"},
		{args: strings.Fields("dlq frobnicate"), wantErr: `"frobnicate" is not a command of gantry dlq`},
		{args: strings.Fields("--version"), wantErr: "no command after gantry"},
	} {
		got, err := read(tc.args)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("gantry %q: error %v, want %q", tc.args, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("gantry %q: %v", tc.args, err)
		case tc.wantErr == "" && !reflect.DeepEqual(got, tc.want):
			t.Errorf("gantry %q = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

// committedExample copies examples/name, without the .gantry folder a
// server run there leaves (its store, whose history the gate reads), to a
// temporary folder: the test is about what the repository holds.
func committedExample(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "examples", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		switch {
		case d.IsDir() && d.Name() == ".gantry":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
