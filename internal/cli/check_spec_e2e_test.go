package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lineOf returns the 1-based line of path that starts with prefix.
func lineOf(t *testing.T, path, prefix string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line starting %q", path, prefix)
	return 0
}

// TestCheckMissingScriptIsErrorE2E: a script a task's run: names that is
// not in the project fails the gate (exit 1) at the task's run: key; with
// the script there, no such finding.
func TestCheckMissingScriptIsErrorE2E(t *testing.T) {
	t.Parallel()
	project := filepath.Join(teamRepo(t), "data")
	pipeline := filepath.Join(project, "pipelines", "orders_daily.yaml")
	_, rep := checkJSON(t, project)
	for _, f := range rep.Findings {
		if f.Rule == "missing-script" {
			t.Fatalf("with every script there: %+v", f)
		}
	}
	if err := os.Remove(filepath.Join(project, "scripts", "extract.sh")); err != nil {
		t.Fatal(err)
	}
	r, rep := checkJSON(t, project)
	wantCode(t, r, 1)
	want := scanFinding{Rule: "missing-script", File: "pipelines/orders_daily.yaml", Severity: "error",
		Line: lineOf(t, pipeline, "    run: ./scripts/extract.sh"), Column: 5}
	var found bool
	for _, f := range rep.Findings {
		if f.Rule == want.Rule {
			found = true
			if f.File != want.File || f.Severity != want.Severity || f.Line != want.Line || f.Column != want.Column {
				t.Errorf("got %+v, want %s:%d:%d %s", f, want.File, want.Line, want.Column, want.Severity)
			}
			if !strings.Contains(f.Message, "./scripts/extract.sh, which does not exist") {
				t.Errorf("message %q does not name the script", f.Message)
			}
		}
	}
	if !found {
		t.Errorf("no missing-script finding:\n%s", r)
	}
}

// TestYAMLTabE2E: a tab in a pipeline's indentation is reported by
// validate and check at its line and column, in words a user can act on.
func TestYAMLTabE2E(t *testing.T) {
	t.Parallel()
	project := filepath.Join(teamRepo(t), "data")
	pipeline := filepath.Join(project, "pipelines", "orders_daily.yaml")
	line := lineOf(t, pipeline, "    run: ./scripts/extract.sh")
	data, err := os.ReadFile(pipeline)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	lines[line-1] = "  \t " + strings.TrimLeft(lines[line-1], " ")
	writeFile(t, pipeline, strings.Join(lines, "\n"))
	want := fmt.Sprintf("pipelines/orders_daily.yaml:%d:3: invalid YAML: tabs are not allowed in YAML indentation", line)

	r := gantry(t, project, "validate")
	if r.code == 0 {
		t.Fatalf("validate accepted a tab in indentation:\n%s", r)
	}
	wantContains(t, "validate output", r.stdout+r.stderr, want)

	r = gantry(t, project, "check")
	wantCode(t, r, 1)
	wantContains(t, "check output", r.stdout, fmt.Sprintf("pipelines/orders_daily.yaml\n  %d:3  error    invalid-spec  invalid YAML: tabs are not allowed in YAML indentation", line))
}
