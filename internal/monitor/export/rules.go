package export

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gantryhq/gantry/internal/spec"
)

// Severities, as Alertmanager configurations usually match them.
const (
	severityCritical = "critical"
	severityWarning  = "warning"
)

// ruleFile is Prometheus's rule file format.
type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// PrometheusRules renders a Prometheus rule file with alerting rules over
// Gantry's metrics for pipelines, ordered by pipeline name. See the package
// documentation for what each rule means.
func PrometheusRules(pipelines []*spec.Pipeline) ([]byte, error) {
	ps := sortedPipelines(pipelines)
	var (
		f       ruleFile
		skipped []string
	)
	f.Groups = append(f.Groups, globalGroup(ps))
	for _, p := range ps {
		g, notes := pipelineGroup(p)
		f.Groups = append(f.Groups, g)
		skipped = append(skipped, notes...)
	}

	var buf bytes.Buffer
	buf.WriteString("# Prometheus alerting rules over Gantry's metrics, written by\n")
	buf.WriteString("# `gantry export prometheus-rules`. Regenerate rather than edit.\n")
	for _, s := range skipped {
		buf.WriteString("# Not exported: " + oneLine(s) + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	return buf.Bytes(), nil
}

// sortedPipelines returns the non-nil pipelines ordered by name, so that
// output does not depend on the order files were read in.
func sortedPipelines(pipelines []*spec.Pipeline) []*spec.Pipeline {
	var ps []*spec.Pipeline
	for _, p := range pipelines {
		if p != nil {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b *spec.Pipeline) int { return cmp.Compare(a.Name, b.Name) })
	return ps
}

// globalGroup holds the rules over metrics without a pipeline label, and
// failures of pipelines this file has no group for.
func globalGroup(ps []*spec.Pipeline) ruleGroup {
	other := ""
	if len(ps) > 0 {
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		other = "pipeline!~" + promString(regexAlternation(names))
	}
	failed := runFailedRule(other)
	failed.Labels = map[string]string{"severity": severityCritical, "event": "failure"}
	failed.Annotations = map[string]string{
		"summary": "Pipeline {{ $labels.pipeline }} failed",
		"description": "A run of pipeline {{ $labels.pipeline }} failed in the last " + failureWindow +
			". It has no rules of its own in this file: re-export them with `gantry export prometheus-rules`.",
	}
	return ruleGroup{Name: "gantry", Rules: []rule{failed, deadLettersRule()}}
}

// pipelineGroup holds the rules for one pipeline. notes says which rules
// its spec asks for but cannot be expressed.
func pipelineGroup(p *spec.Pipeline) (ruleGroup, []string) {
	var (
		rules []rule
		notes []string
	)
	add := func(r rule, severity, event string) {
		r.Labels = pipelineLabels(p, severity, event)
		if p.Runbook != "" {
			r.Annotations["runbook_url"] = p.Runbook
		}
		rules = append(rules, r)
	}
	add(pipelineRunFailedRule(p), severityCritical, "failure")
	if f := p.SLA.Freshness; f > 0 {
		add(staleRule(p.Name, f), severityCritical, "freshness")
	}
	deadline, note := deadlineAge(p)
	if note != "" {
		notes = append(notes, note)
	}
	if deadline > 0 {
		add(deadlineRule(p.Name, p.SLA.Deadline, deadline), severityCritical, "sla")
	}
	if wait := firstPositive(p.SLA.Freshness, deadline); wait > 0 {
		add(noSuccessRule(p.Name, wait), severityWarning, "freshness")
	}
	if rc := p.Monitoring.RowCounts; rc != nil && rc.Task != "" {
		if rc.Min > 0 {
			add(rowCountLowRule(p.Name, rc), severityCritical, "row_count")
		}
		if rc.MaxDrop > 0 && rc.MaxDrop < 1 {
			add(rowCountDropRule(p.Name, rc), severityWarning, "row_count")
		}
	}
	add(retryRateRule(p.Name), severityWarning, "degradation")
	if p.Schedule != nil {
		// Only scheduled runs have a tick to be late for.
		add(schedulerLagRule(p.Name), severityWarning, "degradation")
	}
	return ruleGroup{Name: "gantry." + p.Name, Rules: rules}, notes
}

func pipelineLabels(p *spec.Pipeline, severity, event string) map[string]string {
	l := map[string]string{"severity": severity, "event": event, "pipeline": p.Name}
	if p.Owner != "" {
		l["owner"] = p.Owner
	}
	if p.Alerts.Route != "" {
		l["route"] = p.Alerts.Route
	}
	return l
}

func firstPositive(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}

// promString quotes s as a PromQL string literal, whose escapes are Go's.
func promString(s string) string { return strconv.Quote(s) }

// regexAlternation matches exactly one of names; PromQL anchors regexes.
func regexAlternation(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return strings.Join(q, "|")
}

// seconds renders d as a PromQL number of seconds.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// promDuration renders d, at least one second, in Prometheus's duration
// syntax: 26h, 1h30m, 45s.
func promDuration(d time.Duration) string {
	d = max(d.Round(time.Second), time.Second)
	var b strings.Builder
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
