package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// productionEnvs returns the production environments that apply to p:
// those gantry.yaml marks production, and any named prod or production,
// limited to Options.Env when it is set.
func (r *run) productionEnvs(p *spec.Pipeline) []string {
	var out []string
	consider := func(name string, production bool) {
		if !production && name != "prod" && name != "production" {
			return
		}
		if r.opts.Env != "" && name != r.opts.Env {
			return
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, e := range r.project.Environments {
		consider(e.Name, e.Production)
	}
	for _, e := range p.Environments {
		consider(e.Name, false)
	}
	return out
}

func (r *run) checkProduction(p *spec.Pipeline) {
	envs := r.productionEnvs(p)
	if len(envs) == 0 {
		return
	}
	list := strings.Join(envs, ", ")
	switch p.Rollback.OnFirstRunFailure {
	case "":
		r.add(r.at(p, RuleProdRollback, spec.Pos{}, fmt.Sprintf("pipeline %q deploys to production (%s) but has no rollback plan", p.Name, list), "rollback", "pipeline"))
	case "none":
		r.add(r.at(p, RuleProdRollback, spec.Pos{}, fmt.Sprintf("pipeline %q deploys to production (%s) with rollback.on_first_run_failure: none", p.Name, list),
			"rollback.on_first_run_failure", "rollback"))
	}
	for _, name := range envs {
		r.checkApproval(p, name)
	}
}

// checkApproval checks one production environment: the pipeline's own
// approval setting wins over gantry.yaml's.
func (r *run) checkApproval(p *spec.Pipeline, name string) {
	required := 0
	for _, e := range r.project.Environments {
		if e.Name == name {
			required = e.Approval.Required
		}
	}
	path := "environments." + name + ".approval.required"
	if _, set := p.Positions[path]; set {
		for _, e := range p.Environments {
			if e.Name == name {
				required = e.Approval.Required
			}
		}
	}
	if required >= 1 {
		return
	}
	f := r.at(p, RuleProdApproval, spec.Pos{}, fmt.Sprintf("production environment %q needs no approval for pipeline %q", name, p.Name),
		path, "environments."+name)
	if _, inPipeline := p.Positions["environments."+name]; !inPipeline && r.project.File != "" {
		proj := r.project
		pos := proj.Positions["environments."+name]
		f.File, f.Line, f.Col = r.rel(proj.File), pos.Line, pos.Col
	}
	r.add(f)
}

func (r *run) checkAlerts(p *spec.Pipeline) {
	name := p.Alerts.Route
	if name == "" {
		r.add(r.at(p, RuleAlertRoute, spec.Pos{}, fmt.Sprintf("pipeline %q has no alerts.route: its failures reach no one", p.Name), "alerts", "pipeline"))
		return
	}
	if !r.projectOK {
		return // reported as invalid-spec
	}
	i := slices.IndexFunc(r.project.Alerts.Routes, func(rt spec.Route) bool { return rt.Name == name })
	if i < 0 {
		msg := fmt.Sprintf("alert route %q is not declared in gantry.yaml", name)
		if r.project.File == "" {
			msg = fmt.Sprintf("alert route %q is not declared: the project has no gantry.yaml", name)
		}
		r.add(r.at(p, RuleAlertRoute, spec.Pos{}, msg, "alerts.route"))
		return
	}
	route := r.project.Alerts.Routes[i]
	routePath := "alerts.routes." + name
	if len(route.Channels) == 0 {
		pos := r.project.Positions[routePath]
		if q, ok := r.project.Positions[routePath+".channels"]; ok {
			pos = q
		}
		r.add(Finding{Rule: RuleAlertRoute, File: r.rel(r.project.File), Line: pos.Line, Col: pos.Col,
			Message: fmt.Sprintf("alert route %q (used by %s) reaches no channel", name, p.Name)})
	}
	r.checkCoverage(p, name, func(msg string) Finding {
		pos := spec.Pos{}
		for _, path := range []string{routePath + ".on", routePath} {
			if q, ok := r.project.Positions[path]; ok {
				pos = q
				break
			}
		}
		return Finding{Rule: RuleAlertCoverage, File: r.rel(r.project.File), Line: pos.Line, Col: pos.Col, Message: msg}
	})
}

// checkData checks what a pipeline that produces datasets must promise.
func (r *run) checkData(p *spec.Pipeline) {
	if len(p.Produces) == 0 {
		return
	}
	what := fmt.Sprintf("pipeline %q produces %s", p.Name, strings.Join(p.Produces, ", "))
	if p.SLA.Freshness <= 0 {
		r.add(r.at(p, RuleDataSLA, spec.Pos{}, what+" but has no sla.freshness", "sla", "produces"))
	}
	if p.SLA.Deadline == "" {
		r.add(r.at(p, RuleDataSLA, spec.Pos{}, what+" but has no sla.deadline", "sla", "produces"))
	}
	if p.Monitoring.RowCounts == nil {
		r.add(r.at(p, RuleRowCounts, spec.Pos{}, what+" but watches no row counts", "monitoring", "produces"))
	}
}
