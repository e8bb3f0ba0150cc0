package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/spec"
)

// tree is the project's routing tree, built once per check.
func (r *run) tree() *routing.Tree {
	if r.routes == nil {
		r.routes = routing.New(r.project.Alerts)
	}
	return r.routes
}

// coverageEnvs are the environments whose alerts coverage walks through
// the tree for p, and whether they are production ones: p's production
// environments, else the one --env names (or the local one).
func (r *run) coverageEnvs(p *spec.Pipeline) ([]string, bool) {
	if envs := r.productionEnvs(p); len(envs) > 0 {
		return envs, true
	}
	return []string{r.opts.Env}, false
}

// dropped returns the environments in which no alert of mode m for p
// reaches a channel, routing each alert name with the labels the alert
// manager gives it.
func (r *run) dropped(p *spec.Pipeline, m routing.Mode) []string {
	envs, production := r.coverageEnvs(p)
	var out []string
	for _, env := range envs {
		for _, name := range m.Alerts {
			reached := slices.ContainsFunc(r.tree().Route(m.Labels(p, env, name, production)), func(n *routing.Node) bool {
				return len(n.Channels) > 0
			})
			if !reached {
				out = append(out, env)
				break
			}
		}
	}
	return out
}

// suppression is the alerts.suppress entry for a mode, the pipeline's
// before gantry.yaml's, and the file it is in.
func (r *run) suppression(p *spec.Pipeline, mode string) (spec.AlertSuppress, string, spec.Pos, bool) {
	for _, s := range p.Alerts.Suppress {
		if s.Mode == mode {
			return s, r.rel(p.File), p.Positions[s.Path], true
		}
	}
	for _, s := range r.project.Alerts.Suppress {
		if s.Mode == mode {
			return s, r.rel(r.project.File), r.project.Positions[s.Path], true
		}
	}
	return spec.AlertSuppress{}, "", spec.Pos{}, false
}

// checkCoverage walks every failure mode p can raise through the routing
// tree, as the alert manager routes it, and reports those that reach no
// channel and are not suppressed with a reason.
func (r *run) checkCoverage(p *spec.Pipeline, name string, at func(msg string) Finding) {
	var missing, where []string
	for _, m := range routing.Modes {
		if !m.Raises(p) {
			continue
		}
		envs := r.dropped(p, m)
		if len(envs) == 0 {
			continue
		}
		what := fmt.Sprintf("%s (%s)", m.Name, strings.Join(m.Alerts, ", "))
		if s, file, pos, ok := r.suppression(p, m.Name); ok {
			f := at(fmt.Sprintf("alert route %q (used by %s) sends no %s alert to any channel", name, usedBy(p, envs), what))
			f.Severity, f.Fix = ruleFor(f.Rule).Severity, ruleFor(f.Rule).Fix
			r.modeSuppressed = append(r.modeSuppressed, Suppressed{Finding: f, Reason: s.Reason, Source: fmt.Sprintf("%s:%d", file, pos.Line)})
			continue
		}
		missing = append(missing, what)
		for _, e := range envs {
			if !slices.Contains(where, e) {
				where = append(where, e)
			}
		}
	}
	if len(missing) > 0 {
		r.add(at(fmt.Sprintf("alert route %q (used by %s) sends no %s alert to any channel", name, usedBy(p, where), strings.Join(missing, ", "))))
	}
}

// usedBy names a pipeline and the environments meant.
func usedBy(p *spec.Pipeline, envs []string) string {
	envs = slices.DeleteFunc(slices.Clone(envs), func(e string) bool { return e == "" })
	if len(envs) == 0 {
		return p.Name
	}
	return p.Name + " in " + strings.Join(envs, ", ")
}

// checkAnchors reports the failure modes p can raise that its runbook
// has no section for: their alerts' runbook links would land at the top
// of the page, or nowhere the reader is told what to do. A mode
// alerts.suppress drops on purpose, with a reason, needs none.
func (r *run) checkAnchors(p *spec.Pipeline, doc *markdown, rel string) {
	var lacking []string
	for _, m := range missingModes(p, doc) {
		if _, _, _, ok := r.suppression(p, m.Name); ok {
			continue
		}
		lacking = append(lacking, fmt.Sprintf("%s (#%s)", m.Name, m.Anchor))
	}
	if len(lacking) == 0 {
		return
	}
	r.add(Finding{Rule: RuleRunbookCoverage, File: rel, Line: 1, Col: 1,
		Message: fmt.Sprintf("runbook has no section for the %s alerts of %s, which it can raise", strings.Join(lacking, ", "), p.Name),
		Fix:     "add a section whose heading names each mode, e.g. \"## Out of memory\", \"## Lost attempt\", \"## Dead letters\" (gantry runbook generate --update writes them)"})
}

// missingModes are the failure modes p raises that doc has no section for.
func missingModes(p *spec.Pipeline, doc *markdown) []routing.Mode {
	var out []routing.Mode
	for _, m := range routing.Modes {
		if m.Raises(p) && !routing.HasAnchor(doc.headings, m.Anchor) {
			out = append(out, m)
		}
	}
	return out
}
