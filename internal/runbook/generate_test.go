package runbook

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden runbooks in testdata/golden")

// goldenProjects are the projects whose every pipeline's runbook is kept
// as a golden file: a test project with a pipeline of each shape (with and
// without upstreams, with and without row counts) and the two examples.
var goldenProjects = map[string]string{
	"shapes":   filepath.Join("testdata", "shapes", "project"),
	"data":     filepath.Join("..", "..", "examples", "data"),
	"delivery": filepath.Join("..", "..", "examples", "delivery"),
}

func loadProject(t *testing.T, dir string) (*spec.Project, []*spec.Pipeline) {
	t.Helper()
	proj, ps, err := spec.LoadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	return proj, ps
}

func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	for name, dir := range goldenProjects {
		proj, ps := loadProject(t, dir)
		for _, p := range ps {
			t.Run(name+"/"+p.Name, func(t *testing.T) {
				got := Generate(Input{Pipeline: p, Project: proj, Pipelines: ps})
				file := filepath.Join("testdata", "golden", name, p.Name+".md")
				if *update {
					if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test -update to write it)", err)
				}
				if got != string(want) {
					t.Errorf("runbook of %s differs from %s (go test -update rewrites it):\n%s", p.Name, file, got)
				}
				cov := check.ReadRunbook(p, got)
				if len(cov.Missing) > 0 {
					t.Errorf("runbook of %s has no section for %v", p.Name, cov.Missing)
				}
				if !cov.HasBackfill() {
					t.Errorf("runbook of %s has no backfill procedure", p.Name)
				}
			})
		}
	}
}

// The sections follow the pipeline's shape.
func TestGenerateShapes(t *testing.T) {
	t.Parallel()
	proj, ps := loadProject(t, goldenProjects["shapes"])
	for _, tc := range []struct {
		pipeline   string
		has, lacks []string
	}{
		{"raw_ingest", []string{"## Schema drift", "## Row count", "## SLA missed", "## Stale data",
			"- Upstream: no pipeline of this project.", "- Downstream: `orders` (runs after it; reads `raw.orders`).",
			"Source unavailable", "a task that reads a source (`fetch`) fails", "RolledBack"}, nil},
		{"orders", []string{"- Upstream: `raw_ingest` (runs after it; writes `raw.orders`).", "- Downstream: `report` (runs after it; reads `warehouse.orders`).",
			"## Row count", "`load` reports `rows`; at least 1000", "### `clean` failed", "replay `clean` and what follows it (load)",
			"The tasks with no upstream task read the sources: `clean` and `enrich`.", "every day at 03:00 (Europe/Berlin; cron `0 3 * * *`), once `raw_ingest` succeeded"}, nil},
		{"report", []string{"## Stale data", "every Monday at 07:00 (UTC", "data older than 192h is stale",
			"not rolled back automatically"}, []string{"## Row count", "## Schema drift", "## SLA missed"}},
		{"ship", []string{"Schedule: none: it runs when triggered (`gantry trigger ship`)", "--env prod"},
			[]string{"## Row count", "## Schema drift", "## SLA missed", "## Stale data"}},
	} {
		p := findPipeline(ps, tc.pipeline)
		got := Generate(Input{Pipeline: p, Project: proj, Pipelines: ps})
		for _, s := range tc.has {
			if !strings.Contains(got, s) {
				t.Errorf("runbook of %s lacks %q", tc.pipeline, s)
			}
		}
		for _, s := range tc.lacks {
			if strings.Contains(got, s) {
				t.Errorf("runbook of %s has %q", tc.pipeline, s)
			}
		}
	}
}

// The observed peaks, when given, stand beside each task's limit.
func TestGeneratePeaks(t *testing.T) {
	t.Parallel()
	proj, ps := loadProject(t, goldenProjects["shapes"])
	got := Generate(Input{Pipeline: findPipeline(ps, "ship"), Project: proj, Pipelines: ps, Peaks: map[string]int64{"build": 200 << 20}})
	for _, s := range []string{"- `build`: limit 256Mi, observed peak 200Mi", "- `deploy`: limit 256Mi, no attempt recorded"} {
		if !strings.Contains(got, s) {
			t.Errorf("runbook lacks %q", s)
		}
	}
}

func findPipeline(ps []*spec.Pipeline, name string) *spec.Pipeline {
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	panic("no pipeline " + name)
}
