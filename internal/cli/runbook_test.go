package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

// shapesProject is a project with a pipeline of each shape; see
// internal/runbook/testdata.
var shapesProject = filepath.Join("..", "runbook", "testdata", "shapes", "project")

var shapesPipelines = []string{"raw_ingest", "orders", "report", "ship"}

// runbookFindings runs gantry check over dir and returns its findings of
// the runbook rules.
func runbookFindings(t *testing.T, dir string) []check.Finding {
	t.Helper()
	code, stdout, stderr := runInProcess(t, "check", "--format", "json", dir)
	var rep struct{ Findings []check.Finding }
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("check: exit %d: %v\n%s%s", code, err, stdout, stderr)
	}
	var out []check.Finding
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "runbook-") {
			out = append(out, f)
		}
	}
	return out
}

func rewriteFile(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
}

func generateAll(t *testing.T, dir string) {
	t.Helper()
	for _, p := range shapesPipelines {
		if code, _, stderr := runInProcess(t, "runbook", "generate", p, "--project", dir, "--update"); code != ExitOK {
			t.Fatalf("runbook generate %s: exit %d: %s", p, code, stderr)
		}
	}
}

// Generated runbooks pass the gate's runbook rules once a person has
// filled what is marked; the gate then catches a renamed task, a missing
// mode and a wrong flag, and --update mends what the pipeline changed.
func TestRunbookGenerateLint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(shapesProject)); err != nil {
		t.Fatal(err)
	}
	generateAll(t, dir)
	orders := filepath.Join(dir, "runbooks", "orders.md")

	fills := 0
	for _, p := range shapesPipelines {
		data, err := os.ReadFile(filepath.Join(dir, "runbooks", p+".md"))
		if err != nil {
			t.Fatal(err)
		}
		fills += strings.Count(string(data), check.FillMarker)
	}
	got := runbookFindings(t, dir)
	for _, f := range got {
		if f.Rule != check.RuleRunbookUnfilled {
			t.Errorf("fresh runbook: %s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
	if len(got) != fills || fills == 0 {
		t.Errorf("fresh runbooks: %d findings, want one per part to fill (%d)", len(got), fills)
	}

	// A person fills them in.
	for _, p := range shapesPipelines {
		rewriteFile(t, filepath.Join(dir, "runbooks", p+".md"), func(s string) string {
			var lines []string
			for _, l := range strings.Split(s, "\n") {
				if strings.HasPrefix(l, check.FillMarker) {
					l = "Written by the on-call team for " + p + "."
				}
				lines = append(lines, l)
			}
			return strings.Join(lines, "\n")
		})
	}
	if got := runbookFindings(t, dir); len(got) > 0 {
		t.Fatalf("filled runbooks: %+v", got)
	}
	data, _ := os.ReadFile(orders)
	if !strings.Contains(string(data), `gantry rollback orders --env prod --reason "what went wrong"`) {
		t.Errorf("the runbook has no quoted --reason for the lint to accept")
	}

	// A task renamed in the pipeline and not in the runbook is a finding.
	rewriteFile(t, filepath.Join(dir, "pipelines", "orders.yaml"), func(s string) string {
		return strings.NewReplacer("- id: clean", "- id: scrub", "needs: [clean, enrich]", "needs: [scrub, enrich]").Replace(s)
	})
	got = runbookFindings(t, dir)
	if len(got) == 0 || !strings.Contains(got[0].Message, `task "clean" does not exist in orders`) || got[0].Rule != check.RuleRunbookCommands {
		t.Errorf("renamed task: findings %+v, want runbook-commands naming clean", got)
	}
	generateAll(t, dir)
	if got := runbookFindings(t, dir); len(got) > 0 {
		t.Errorf("after --update: %+v", got)
	}
	data, _ = os.ReadFile(orders)
	if !strings.Contains(string(data), "Written by the on-call team for orders.") || !strings.Contains(string(data), "### `scrub` failed") {
		t.Errorf("--update lost the hand-written text or did not rename the task:\n%s", data)
	}

	// A failure mode without its section is a finding.
	rewriteFile(t, orders, func(s string) string {
		i := strings.Index(s, "<!-- gantry:begin out-of-memory -->")
		j := strings.Index(s, "<!-- gantry:end out-of-memory -->")
		return s[:i] + s[j+len("<!-- gantry:end out-of-memory -->"):]
	})
	got = runbookFindings(t, dir)
	if len(got) != 1 || got[0].Rule != check.RuleRunbookCoverage || !strings.Contains(got[0].Message, "oom (#out-of-memory)") {
		t.Errorf("missing mode: findings %+v, want runbook-coverage naming oom", got)
	}
	generateAll(t, dir)

	// A flag that does not exist is a finding; quoting is read as a shell does.
	rewriteFile(t, orders, func(s string) string {
		return s + "\nAlso: `gantry rollback orders --env prod --reasn 'bad data'` and `gantry silence add --match pipeline=orders --duration 1h --reason \"it's late\"`.\n"
	})
	got = runbookFindings(t, dir)
	if len(got) != 1 || got[0].Rule != check.RuleRunbookCommands || !strings.Contains(got[0].Message, "gantry rollback has no flag --reasn") {
		t.Errorf("wrong flag: findings %+v, want one runbook-commands naming --reasn", got)
	}
}

func TestRunbookGenerateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(shapesProject)); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInProcess(t, "runbook", "generate", "ship", "--project", dir)
	if code != ExitOK || !strings.HasPrefix(stdout, "<!-- gantry:begin title -->\n# Runbook: ship\n") {
		t.Errorf("to stdout: exit %d, %q %s", code, stdout[:min(len(stdout), 80)], stderr)
	}
	out := filepath.Join(dir, "docs", "ship.md")
	if code, _, stderr := runInProcess(t, "runbook", "generate", "ship", "--project", dir, "--output", out); code != ExitOK {
		t.Fatalf("--output: exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(out); err != nil || string(data) != stdout {
		t.Errorf("--output wrote %q (%v), want what stdout shows", data, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown pipeline", []string{"shipp"}, ExitNotFound, `no pipeline "shipp" in ` + dir + ` (did you mean "ship"?)`},
		{"existing file", []string{"ship", "--output", out}, ExitUsage, out + " exists; --update regenerates it"},
		{"no pipeline named", nil, ExitUsage, "needs a PIPELINE"},
		{"no such project", []string{"ship", "--project", filepath.Join(dir, "nope")}, ExitUsage, "no such file or directory"},
	} {
		args := append([]string{"runbook", "generate"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--project") {
			args = append(args, "--project", dir)
		}
		code, _, stderr := runInProcess(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || strings.Contains(stderr, "goroutine") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, code, stderr, tc.code, tc.msg)
		}
	}
	// --update needs a file: the pipeline's runbook: or --output.
	rewriteFile(t, filepath.Join(dir, "pipelines", "ship.yaml"), func(s string) string {
		return strings.Replace(s, "runbook: runbooks/ship.md", "runbook: https://wiki.example.com/ship", 1)
	})
	code, _, stderr = runInProcess(t, "runbook", "generate", "ship", "--project", dir, "--update")
	if code != ExitUsage || !strings.Contains(stderr, "runbook: is a URL (https://wiki.example.com/ship); name the file with --output") {
		t.Errorf("--update with a URL runbook: exit %d, stderr %q", code, stderr)
	}
	// A broken project is reported as the validator reports it.
	rewriteFile(t, filepath.Join(dir, "pipelines", "ship.yaml"), func(s string) string { return s + "bogus: 1\n" })
	code, _, stderr = runInProcess(t, "runbook", "generate", "ship", "--project", dir)
	if code != ExitFailed || !strings.Contains(stderr, "pipelines/ship.yaml:") || !strings.Contains(stderr, "bogus") {
		t.Errorf("broken project: exit %d, stderr %q", code, stderr)
	}
}
