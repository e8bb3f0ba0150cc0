package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/monitor/export"
	"github.com/gantryhq/gantry/internal/spec"
)

var dataExample = filepath.Join("..", "..", "examples", "data")

func exampleOutput(t *testing.T, render func([]*spec.Pipeline) ([]byte, error)) string {
	t.Helper()
	_, ps, err := spec.LoadProject(dataExample)
	if err != nil {
		t.Fatal(err)
	}
	b, err := render(ps)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExportStdout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd    string
		render func([]*spec.Pipeline) ([]byte, error)
	}{
		{"prometheus-rules", export.PrometheusRules},
		{"grafana-dashboard", export.GrafanaDashboard},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runInProcess(t, "export", tc.cmd, "--project", dataExample)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if want := exampleOutput(t, tc.render); out != want {
				t.Errorf("stdout is not the export of %s:\n%s", dataExample, out)
			}
		})
	}
}

func TestExportOutputFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.rules.yml")
	// An existing file is replaced whole.
	if err := os.WriteFile(path, []byte(strings.Repeat("old\n", 10000)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runInProcess(t, "export", "prometheus-rules", "--project", dataExample, "-o", path)
	if code != ExitOK || out != "" || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := exampleOutput(t, export.PrometheusRules); string(got) != want {
		t.Errorf("%s is not the export:\n%s", path, got)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v; want 0644 so Prometheus can read it", info.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "pipelines"), 0o755); err != nil {
		t.Fatal(err)
	}
	pipeline := "pipeline: orders\ntasks:\n  - id: load\n    run: true\n    needs: [transfrom]\n"
	if err := os.WriteFile(filepath.Join(bad, "pipelines", "orders.yaml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		errSubstr string
	}{
		{"spec errors", []string{"export", "prometheus-rules", "--project", bad}, ExitFailed, `orders.yaml:5:`},
		{"spec errors, dashboard", []string{"export", "grafana-dashboard", "--project", bad}, ExitFailed, "transfrom"},
		{"no such project", []string{"export", "prometheus-rules", "--project", filepath.Join(bad, "nope")}, ExitUsage, "no such file or directory"},
		{"unexpected argument", []string{"export", "prometheus-rules", "extra"}, ExitUsage, "takes no arguments"},
		{"no pipelines", []string{"export", "grafana-dashboard", "--project", t.TempDir()}, ExitFailed, "no pipelines found"},
		{"unknown export", []string{"export", "alertmanager-config"}, ExitUsage, `unknown export "alertmanager-config"`},
		{"unknown flag", []string{"export", "grafana-dashboard", "--format", "x"}, ExitUsage, "unknown flag"},
		{"unwritable output", []string{"export", "prometheus-rules", "--project", dataExample, "-o", filepath.Join(bad, "no", "dir", "f.yml")}, ExitFailed, "--output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runInProcess(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.errSubstr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.errSubstr)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing on error", out)
			}
		})
	}
}
