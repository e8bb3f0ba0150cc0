package export_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// grafanaDashboard is the part of Grafana's dashboard model the tests read.
type grafanaDashboard struct {
	SchemaVersion int    `json:"schemaVersion"`
	UID           string `json:"uid"`
	Title         string `json:"title"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      string `json:"query"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Type    string `json:"type"`
		GridPos struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			RefID        string `json:"refId"`
			Expr         string `json:"expr"`
			LegendFormat string `json:"legendFormat"`
		} `json:"targets"`
	} `json:"panels"`
}

func parseDashboard(t *testing.T, c string) grafanaDashboard {
	t.Helper()
	var d grafanaDashboard
	if err := json.Unmarshal(render(t, dashboardFile, loadExample(t, c)), &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	return d
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			d := parseDashboard(t, c)
			if d.SchemaVersion < 36 {
				t.Errorf("schemaVersion = %d, want ≥ 36", d.SchemaVersion)
			}
			if d.UID == "" || d.Title == "" {
				t.Error("dashboard has no uid or title")
			}
			vars := map[string]string{}
			for _, v := range d.Templating.List {
				vars[v.Name] = v.Type + " " + v.Query
			}
			if got, want := vars["pipeline"], "query label_values(gantry_runs_total, pipeline)"; got != want {
				t.Errorf("pipeline variable = %q, want %q", got, want)
			}
			if got, want := vars["env"], `query label_values(gantry_runs_total{pipeline=~"$pipeline"}, env)`; got != want {
				t.Errorf("env variable = %q, want %q", got, want)
			}
			if got := vars["datasource"]; got != "datasource prometheus" {
				t.Errorf("datasource variable = %q", got)
			}
			for i, p := range d.Panels {
				where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
				if p.ID != i+1 {
					t.Errorf("%s: id %d, want %d (ids follow panel order)", where, p.ID, i+1)
				}
				if p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
					t.Errorf("%s: gridPos %+v", where, p.GridPos)
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s: no targets", where)
				}
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					if refs[tg.RefID] {
						t.Errorf("%s: refId %s twice", where, tg.RefID)
					}
					refs[tg.RefID] = true
					assertRegistered(t, where, tg.Expr)
				}
			}
		})
	}
}

// The panels the issue asks for, found by what they query.
func TestDashboardPanels(t *testing.T) {
	t.Parallel()
	d := parseDashboard(t, "data")
	want := map[string]string{
		"run duration p50":     `histogram_quantile(0.5, sum by (pipeline, env, le) (rate(gantry_run_duration_seconds_bucket{pipeline=~"$pipeline",env=~"$env"}`,
		"run duration p95":     `histogram_quantile(0.95, sum by (pipeline, env, le) (rate(gantry_run_duration_seconds_bucket{pipeline=~"$pipeline",env=~"$env"}`,
		"rows per stage":       `gantry_task_output{pipeline=~"$pipeline",env=~"$env",key="rows"}`,
		"freshness":            `time() - max by (pipeline, env) (gantry_last_success_interval_end_timestamp_seconds{pipeline=~"$pipeline",env=~"$env"})`,
		"error rate":           `sum by (pipeline, env) (increase(gantry_runs_total{pipeline=~"$pipeline",env=~"$env",state="failed"}`,
		"scheduler lag":        `sum by (pipeline, env, le) (rate(gantry_scheduler_lag_seconds_bucket{pipeline=~"$pipeline",env=~"$env"}`,
		"failed attempts":      `sum by (pipeline, env, task, state) (increase(gantry_task_attempts_total{pipeline=~"$pipeline",env=~"$env",`,
		"dead letters":         `gantry_dead_letters`,
		"queue depth":          `gantry_queue_depth`,
		"running tasks":        `gantry_running_tasks`,
		"freshness SLA line":   `93600 + 0 * max by (pipeline, env) (gantry_last_success_interval_end_timestamp_seconds{pipeline="orders_daily",pipeline=~"$pipeline",env=~"$env"})`,
		"row count limit line": `1000 + 0 * gantry_task_output{pipeline="orders_daily",pipeline=~"$pipeline",env=~"$env",task="load",key="rows"}`,
	}
	for what, expr := range want {
		found := false
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				found = found || strings.Contains(tg.Expr, expr)
			}
		}
		if !found {
			t.Errorf("no panel for %s: no target contains %s", what, expr)
		}
	}
}

// TestPromtoolDashboardQueries has Prometheus's parser judge every panel
// query, by checking them as recording rules with the Grafana variables
// replaced as Grafana would for "All".
func TestPromtoolDashboardQueries(t *testing.T) {
	t.Parallel()
	vars := strings.NewReplacer("$pipeline", ".*", "$env", ".*", "$__rate_interval", "1m", "$__interval", "1m")
	type recording struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []recording
	for _, c := range cases {
		for _, p := range parseDashboard(t, c).Panels {
			for _, tg := range p.Targets {
				rules = append(rules, recording{
					Record: fmt.Sprintf("dashboard:%s:panel%d:%s", c, p.ID, strings.ToLower(tg.RefID)),
					Expr:   vars.Replace(tg.Expr),
				})
			}
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queries.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runPromtool(t, dir, "check", "rules", "queries.yml"); !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(rules))) {
		t.Errorf("promtool check rules:\n%s", out)
	}
}
