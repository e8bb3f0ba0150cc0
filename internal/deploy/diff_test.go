package deploy_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/diff")

// TestDiffGolden renders the diff of one change of each risk class
// against the fixture; testdata/diff/<case>.txt holds what a user reads.
func TestDiffGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		new   bool // against nothing deployed
		edits []edit
	}{
		{name: "L1", edits: []edit{
			{"pipelines/orders.yaml", "target: warehouse", "target: warehouse_v2"},
			{"pipelines/orders.yaml", "staging: {params: {}}", "staging: {params: {target: scratch}}"},
			{"runbooks/orders.md", "", "\nAsk #data-platform when in doubt.\n"},
		}},
		{name: "L2", edits: []edit{
			{"pipelines/orders.yaml", "    timeout: 20m", "    timeout: 25m\n    retries: {attempts: 5, backoff: constant, initial: 10ms}"},
			{"pipelines/orders.yaml", "memory: 512Mi", "memory: 1Gi"},
			{"scripts/load.sh", "echo \"loaded into $1\"\n", "echo \"loading into $1\"\necho vacuum\necho analyze\necho \"loaded into $1\"\n"},
			{"scripts/load.sh", "# $1 is the target database.\n", ""},
		}},
		{name: "L3", edits: []edit{
			{"pipelines/orders.yaml", "    timeout: 20m\n", "    timeout: 20m\n  - id: verify\n    needs: [load]\n    run: ./scripts/verify.sh\n"},
			{"pipelines/orders.yaml", "needs: [extract]", "needs: [extract, stage]"},
			{"pipelines/orders.yaml", "  - id: load\n", "  - id: stage\n    run: ./scripts/extract.sh\n  - id: load\n"},
			{"scripts/verify.sh", "", "#!/bin/sh\necho verified\n"},
		}},
		{name: "L4", edits: []edit{
			{"gantry.yaml", "warehouse: {slots: 2}", "warehouse: {slots: 4}"},
			{"pipelines/orders.yaml", "target: warehouse", "target: warehouse_v2"},
		}},
		{name: "routing", edits: []edit{
			{"gantry.yaml", "      channels: [oncall]", "      channels: [oncall, backup]"},
			{"gantry.yaml", "  routes:\n", "    backup: {type: alertmanager, url: \"http://127.0.0.1:8/\"}\n  routes:\n"},
		}},
		{name: "new", new: true},
	}
	base := collect(t, project(t), "orders")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			next := collect(t, project(t, c.edits...), "orders")
			from := base
			if c.new {
				from = nil
			}
			d, err := deploy.Compare(from, next)
			if err != nil {
				t.Fatal(err)
			}
			want, routes := c.name, []string(nil)
			if c.name == "routing" {
				want, routes = spec.RiskL4, []string{"data-oncall"}
			}
			if want != "new" && d.Risk != want {
				t.Errorf("risk %s, want %s", d.Risk, want)
			}
			if d.Routing() != (routes != nil) || !slices.Equal(d.Routes, routes) {
				t.Errorf("routing %v, routes %v; want routes %v", d.Routing(), d.Routes, routes)
			}
			golden(t, filepath.Join("testdata", "diff", c.name+".txt"), d.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
