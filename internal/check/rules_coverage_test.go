package check_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

// allKinds is every kind a route must send for the base pipelines.
var allKinds = []string{"failure", "timeout", "memory", "lost", "sla", "freshness", "row_count", "dead_letter", "rollback"}

// baseProject is testdata/base/project in a temporary folder, with
// gantry.yaml's alerts replaced by alerts and the files in extra written.
func baseProject(t *testing.T, alerts string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	data, err := os.ReadFile(filepath.Join(dir, "gantry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(data), "alerts:\n")
	files := map[string]string{"gantry.yaml": head + alerts}
	for name, text := range extra {
		files[name] = text
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func findingsOf(t *testing.T, dir, rule string) ([]check.Finding, *check.Report) {
	t.Helper()
	rep, err := newChecker(t, "").Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []check.Finding
	for _, f := range rep.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out, rep
}

const channels = `alerts:
  channels:
    oncall: {type: webhook, url: "http://127.0.0.1:9/", secret: webhook_key}
    pager: {type: pagerduty, secret: pd_key}
`

// Each failure mode a route's on: list leaves out is reported by name and
// alert name, for each pipeline, and no other mode is.
func TestAlertCoverageEachDroppedMode(t *testing.T) {
	t.Parallel()
	modes := map[string]string{
		"failure": "failure (RunFailed, RevisionTampered)", "timeout": "timeout (RunTimedOut)", "memory": "oom (TaskOutOfMemory)",
		"lost": "lost (TaskLost)", "sla": "sla (SLAMissed)", "freshness": "stale (DataStale)",
		"row_count":   "row_count (RowCountMissing, RowCountLow, RowCountDropped)",
		"dead_letter": "dead_letter (DeadLettersPending)", "rollback": "rollback (RolledBack)",
	}
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			on := slices.DeleteFunc(slices.Clone(allKinds), func(k string) bool { return k == kind })
			dir := baseProject(t, channels+"  routes:\n    data-oncall:\n      channels: [oncall]\n      on: ["+strings.Join(on, ", ")+"]\n", nil)
			got, _ := findingsOf(t, dir, check.RuleAlertCoverage)
			if len(got) != 2 {
				t.Fatalf("want one finding per pipeline, got %v", got)
			}
			for _, f := range got {
				want := "sends no " + modes[kind] + " alert to any channel"
				if !strings.Contains(f.Message, want) || f.File != "gantry.yaml" || f.Line != 17 {
					t.Errorf("finding %s:%d %q, want gantry.yaml:17 with %q", f.File, f.Line, f.Message, want)
				}
			}
		})
	}
}

// The gate routes as the alert manager does: a child route that matches
// a production alert takes it even when a parent would have sent it, and
// a kind that only the on: [degradation] of a route names is not sent.
func TestAlertCoverageWalksTheTree(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		routes string
		want   []string // modes reported; nil: none
	}{
		"degradation is not timeout": {
			"      channels: [oncall]\n      on: [failure, memory, lost, dead_letter, rollback, degradation]\n",
			[]string{"timeout (RunTimedOut)", "sla (SLAMissed)", "stale (DataStale)", "row_count"}},
		"a critical child takes only failures": {
			"      channels: [oncall]\n      routes:\n        - match: {severity: critical}\n          channels: [pager]\n          on: [failure]\n",
			nil}, // the child does not take the others, so the parent (no on:) does
		"a child that takes prod with on: drops what it does not list": {
			"      channels: [oncall]\n      on: [failure]\n      routes:\n        - match: {env: prod}\n          on: [failure, timeout, sla, freshness, row_count, dead_letter, rollback]\n",
			[]string{"oom (TaskOutOfMemory)", "lost (TaskLost)"}},
		"a task child routes row counts": {
			"      channels: [oncall]\n      on: [failure, timeout, memory, lost, sla, freshness, dead_letter, rollback]\n      routes:\n        - match: {task: load}\n          on: [row_count]\n        - match: {task: fetch}\n          on: [row_count]\n",
			nil},
		"an alertname child for one pipeline only": {
			"      channels: [oncall]\n      on: [failure, timeout, lost, sla, freshness, row_count, dead_letter, rollback]\n      routes:\n        - match: {alertname: TaskOutOfMemory, pipeline: orders}\n          on: [memory]\n",
			[]string{"ingest in prod) sends no oom (TaskOutOfMemory)"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := baseProject(t, channels+"  routes:\n    data-oncall:\n"+c.routes, nil)
			got, _ := findingsOf(t, dir, check.RuleAlertCoverage)
			if c.want == nil {
				if len(got) > 0 {
					t.Fatalf("want no finding, got %v", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatal("no alert-coverage finding")
			}
			text := ""
			for _, f := range got {
				text += f.Message + "\n"
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("findings\n%s\nwant them to name %q", text, w)
				}
			}
		})
	}
}

// A mode suppressed with a reason passes the gate and shows in the report
// with its reason; in gantry.yaml it covers every pipeline, in a pipeline
// that pipeline.
func TestAlertCoverageSuppressWithReason(t *testing.T) {
	t.Parallel()
	on := "      on: [failure, timeout, lost, sla, freshness, row_count, dead_letter, rollback]\n"
	dir := baseProject(t, channels+"  routes:\n    data-oncall:\n      channels: [oncall]\n"+on+
		"  suppress:\n    - {mode: oom, reason: memory is capped by the warehouse}\n", nil)
	got, rep := findingsOf(t, dir, check.RuleAlertCoverage)
	if len(got) > 0 || !rep.Passed() {
		t.Fatalf("suppressed mode still reported: %v", rep.Findings)
	}
	if len(rep.Suppressed) != 2 {
		t.Fatalf("suppressed = %+v, want the oom finding of both pipelines", rep.Suppressed)
	}
	for _, s := range rep.Suppressed {
		if s.Reason != "memory is capped by the warehouse" || s.Source != "gantry.yaml:19" || !strings.Contains(s.Finding.Message, "oom (TaskOutOfMemory)") {
			t.Errorf("suppressed %+v", s)
		}
	}

	// In one pipeline's alerts: only that pipeline's finding goes.
	orders, err := os.ReadFile(filepath.Join("testdata", "base", "project", "pipelines", "orders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir = baseProject(t, channels+"  routes:\n    data-oncall:\n      channels: [oncall]\n"+on, map[string]string{
		"pipelines/orders.yaml": strings.Replace(string(orders), "alerts: {route: data-oncall}",
			"alerts:\n  route: data-oncall\n  suppress: [{mode: oom, reason: orders runs in a fixed-size pool}]", 1),
	})
	got, rep = findingsOf(t, dir, check.RuleAlertCoverage)
	if len(got) != 1 || !strings.Contains(got[0].Message, "used by ingest") {
		t.Errorf("findings %v, want ingest's only", got)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Source != "pipelines/orders.yaml:29" {
		t.Errorf("suppressed %+v, want orders' at pipelines/orders.yaml:29", rep.Suppressed)
	}
}

// A suppression without a reason does not apply: the gate fails, naming
// the entry.
func TestAlertCoverageSuppressWithoutReason(t *testing.T) {
	t.Parallel()
	dir := baseProject(t, channels+"  routes:\n    data-oncall:\n      channels: [oncall]\n      on: [failure, timeout, lost, sla, freshness, row_count, dead_letter, rollback]\n"+
		"  suppress:\n    - {mode: oom}\n", nil)
	got, rep := findingsOf(t, dir, check.RuleInvalidSpec)
	got = slices.DeleteFunc(got, func(f check.Finding) bool { return f.File != "gantry.yaml" })
	if rep.Passed() || len(got) != 1 || got[0].Line != 19 || got[0].Col != 7 || !strings.Contains(got[0].Message, "alerts.suppress[0]: suppressing oom alerts needs a `reason:`") {
		t.Errorf("findings %v, want invalid-spec at gantry.yaml:19:7 asking for a reason", rep.Findings)
	}
}

// Every mode the pipeline raises needs a runbook section its alerts'
// links land on; a suppressed, unsent mode does not.
func TestRunbookAnchorsForRaisedModes(t *testing.T) {
	t.Parallel()
	runbook, err := os.ReadFile(filepath.Join("testdata", "base", "project", "runbooks", "orders.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Without the "## Out of memory" and "## Dead letters" sections.
	text := string(runbook)
	for _, h := range []string{"## Out of memory", "## Dead letters"} {
		i := strings.Index(text, h)
		j := strings.Index(text[i+len(h):], "\n## ")
		text = text[:i] + text[i+len(h)+j+1:]
	}
	routes := channels + "  routes:\n    data-oncall:\n      channels: [oncall]\n"
	dir := baseProject(t, routes, map[string]string{"runbooks/orders.md": text})
	got, _ := findingsOf(t, dir, check.RuleRunbookCoverage)
	if len(got) != 2 {
		t.Fatalf("findings %v, want one per pipeline", got)
	}
	for _, f := range got {
		if f.File != "runbooks/orders.md" || !strings.Contains(f.Message, "oom (#out-of-memory), dead_letter (#dead-letters)") || strings.Contains(f.Message, "lost") {
			t.Errorf("finding %s:%d %q", f.File, f.Line, f.Message)
		}
	}
	dir = baseProject(t, routes+"      on: [failure, timeout, lost, sla, freshness, row_count, rollback]\n"+
		"  suppress:\n    - {mode: oom, reason: capped}\n    - {mode: dead_letter, reason: DeadLettersPending is watched on the dashboard}\n",
		map[string]string{"runbooks/orders.md": text})
	if got, rep := findingsOf(t, dir, check.RuleRunbookCoverage); len(got) > 0 || !rep.Passed() {
		t.Errorf("unsent, suppressed modes still want sections: %v", rep.Findings)
	}
}
