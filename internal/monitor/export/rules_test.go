package export_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/gantryhq/gantry/internal/schematest"
	"github.com/gantryhq/gantry/internal/spec"
)

// SchemaStore's schemas for rule files and promtool test files (draft-07).
const (
	rulesSchemaFile     = "testdata/schemas/prometheus.rules.json"
	rulesTestSchemaFile = "testdata/schemas/prometheus.rules.test.json"
	promtoolTestFile    = "testdata/rules_test.yaml"
)

// validateYAML checks a YAML document against a JSON schema, as editors
// using SchemaStore do.
func validateYAML(t *testing.T, schemaFile string, doc []byte) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if err := schematest.Validate(t, schemaFile, v); err != nil {
		t.Errorf("does not match %s: %v", schemaFile, err)
	}
}

func TestRulesSchema(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			validateYAML(t, rulesSchemaFile, render(t, rulesFile, loadExample(t, c)))
		})
	}
	t.Run("no pipelines", func(t *testing.T) {
		t.Parallel()
		validateYAML(t, rulesSchemaFile, render(t, rulesFile, nil))
	})
	t.Run("the schema rejects a bad file", func(t *testing.T) {
		t.Parallel()
		// Proves the check can fail: "for" is not a duration.
		bad := "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n"
		var v any
		if err := yaml.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(v)
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if schematest.Schema(t, rulesSchemaFile).Validate(inst) == nil {
			t.Error("schema accepted for: soon")
		}
	})
	t.Run("promtool test file", func(t *testing.T) {
		t.Parallel()
		b, err := os.ReadFile(promtoolTestFile)
		if err != nil {
			t.Fatal(err)
		}
		validateYAML(t, rulesTestSchemaFile, b)
	})
}

// parsedRules is the shape of a rule file, for assertions.
type parsedRules struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert       string
			Expr        string
			For         string
			Labels      map[string]string
			Annotations map[string]string
		}
	}
}

func parseRules(t *testing.T, b []byte) parsedRules {
	t.Helper()
	var f parsedRules
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse rules: %v", err)
	}
	return f
}

func TestRulesReferenceGantryMetrics(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		for _, g := range parseRules(t, render(t, rulesFile, loadExample(t, c))).Groups {
			for _, r := range g.Rules {
				assertRegistered(t, c+": "+g.Name+"/"+r.Alert, r.Expr)
			}
		}
	}
}

func TestRulesLabelsAndAnnotations(t *testing.T) {
	t.Parallel()
	f := parseRules(t, render(t, rulesFile, loadExample(t, "data")))
	alerts := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s/%s: severity %q", g.Name, r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s/%s: lacks summary or description", g.Name, r.Alert)
			}
			if g.Name != "gantry.orders_daily" {
				continue
			}
			if r.Labels["pipeline"] != "orders_daily" || r.Labels["owner"] != "data-platform" {
				t.Errorf("%s/%s: labels %v, want pipeline and owner", g.Name, r.Alert, r.Labels)
			}
			if r.Annotations["runbook_url"] != "runbooks/orders_daily.md" {
				t.Errorf("%s/%s: runbook_url %q", g.Name, r.Alert, r.Annotations["runbook_url"])
			}
		}
	}
	for _, a := range []string{"GantryRunFailed", "GantryPipelineStale", "GantrySLADeadlineMissed",
		"GantryRowCountLow", "GantryDeadLettersNotEmpty", "GantrySchedulerLagHigh", "GantryTaskRetryRateHigh"} {
		if !alerts[a] {
			t.Errorf("no %s rule for examples/data", a)
		}
	}
}

// A pipeline without a runbook, SLA, monitoring or schedule gets only the
// rules that need none of them, and no runbook_url.
func TestRulesMinimalPipeline(t *testing.T) {
	t.Parallel()
	f := parseRules(t, render(t, rulesFile, []*spec.Pipeline{{Name: "bare"}}))
	var got []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			got = append(got, g.Name+"/"+r.Alert)
			if _, ok := r.Annotations["runbook_url"]; ok {
				t.Errorf("%s/%s has a runbook_url without a runbook", g.Name, r.Alert)
			}
		}
	}
	want := []string{"gantry/GantryRunFailed", "gantry/GantryDeadLettersNotEmpty",
		"gantry.bare/GantryRunFailed", "gantry.bare/GantryTaskRetryRateHigh"}
	if !slices.Equal(got, want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
}

// A deadline on a schedule that is not daily cannot be an age; the file
// says so instead of exporting a wrong rule.
func TestRulesDeadlineNotDaily(t *testing.T) {
	t.Parallel()
	p := &spec.Pipeline{Name: "hourly", Schedule: &spec.Schedule{Cron: "0 * * * *"},
		SLA: spec.SLA{Deadline: "06:00", Freshness: 2 * time.Hour}}
	out := render(t, rulesFile, []*spec.Pipeline{p})
	if !strings.Contains(string(out), `# Not exported: hourly sla.deadline 06:00: schedule "0 * * * *" is not one tick a day`) {
		t.Errorf("header does not explain the missing deadline rule:\n%s", out)
	}
	if strings.Contains(string(out), "GantrySLADeadlineMissed") {
		t.Error("exported a deadline rule for an hourly schedule")
	}
	// Freshness does not depend on the schedule's shape.
	if !strings.Contains(string(out), "> 7200") {
		t.Error("no freshness rule at 7200s")
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found; CI must install it (Debian package prometheus)")
		}
		t.Skip("promtool not found; install the Debian package prometheus")
	}
	return path
}

func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, rulesFile), render(t, rulesFile, loadExample(t, c)), 0o644); err != nil {
				t.Fatal(err)
			}
			if out := runPromtool(t, dir, "check", "rules", rulesFile); !strings.Contains(out, "SUCCESS") {
				t.Errorf("promtool check rules did not report SUCCESS:\n%s", out)
			}
		})
	}
}

// TestPromtoolTestRules runs testdata/rules_test.yaml against the rules
// generated now for examples/data, not against the golden copy.
func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := render(t, rulesFile, loadExample(t, "data"))
	if err := os.WriteFile(filepath.Join(dir, "data", rulesFile), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(promtoolTestFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules_test.yaml"), tests, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runPromtool(t, dir, "test", "rules", "rules_test.yaml"); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules did not report SUCCESS:\n%s", out)
	}
}
