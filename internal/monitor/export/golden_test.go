package export_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/monitor/export"
	"github.com/gantryhq/gantry/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/<case>/")

// Golden file names, per case.
const (
	rulesFile     = "prometheus_rules.yml"
	dashboardFile = "grafana_dashboard.json"
)

// cases are the bundled example projects, by testdata folder name.
var cases = []string{"data", "delivery"}

func loadExample(t *testing.T, name string) []*spec.Pipeline {
	t.Helper()
	_, ps, err := spec.LoadProject(filepath.Join("..", "..", "..", "examples", name))
	if err != nil {
		t.Fatalf("load example %s: %v", name, err)
	}
	if len(ps) == 0 {
		t.Fatalf("example %s has no pipelines", name)
	}
	return ps
}

func render(t *testing.T, name string, ps []*spec.Pipeline) []byte {
	t.Helper()
	var (
		out []byte
		err error
	)
	switch name {
	case rulesFile:
		out, err = export.PrometheusRules(ps)
	case dashboardFile:
		out, err = export.GrafanaDashboard(ps)
	default:
		t.Fatalf("unknown output %s", name)
	}
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return out
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		for _, file := range []string{rulesFile, dashboardFile} {
			t.Run(c+"/"+file, func(t *testing.T) {
				t.Parallel()
				got := render(t, file, loadExample(t, c))
				path := filepath.Join("testdata", c, file)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; if the change is intended, run go test -update\n--- got:\n%s", path, got)
				}
			})
		}
	}
}

// Output must not depend on the order pipelines were loaded in: a
// regenerated file that only reorders would be noise in review.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ps := append(loadExample(t, "data"), loadExample(t, "delivery")...)
	rev := slices.Clone(ps)
	slices.Reverse(rev)
	for _, file := range []string{rulesFile, dashboardFile} {
		a, b := render(t, file, ps), render(t, file, rev)
		if !bytes.Equal(a, b) {
			t.Errorf("%s depends on the order of the pipelines", file)
		}
		if c := render(t, file, ps); !bytes.Equal(a, c) {
			t.Errorf("%s differs between two calls", file)
		}
	}
}
