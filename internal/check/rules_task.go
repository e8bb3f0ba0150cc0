package check

import (
	"fmt"

	"github.com/gantryhq/gantry/internal/spec"
)

// at returns a finding for rule in p's file, placed at the first of paths
// that was written, or at fallback, or at line 1.
func (r *run) at(p *spec.Pipeline, rule string, fallback spec.Pos, msg string, paths ...string) Finding {
	pos := fallback
	for _, path := range paths {
		if q, ok := p.Positions[path]; ok {
			pos = q
			break
		}
	}
	return Finding{Rule: rule, File: r.rel(p.File), Line: pos.Line, Col: pos.Col, Message: msg}
}

// checkPipeline runs the rules about one pipeline on its own.
func (r *run) checkPipeline(p *spec.Pipeline) {
	r.checkTasks(p)
	if p.Timeout <= 0 {
		r.add(r.at(p, RuleRunTimeout, spec.Pos{}, fmt.Sprintf("pipeline %q has no run timeout", p.Name), "pipeline"))
	}
	if p.Concurrency.Parallelism <= 0 {
		r.add(r.at(p, RuleParallelism, spec.Pos{}, fmt.Sprintf("pipeline %q does not set concurrency.parallelism", p.Name), "concurrency", "pipeline"))
	}
	r.checkProduction(p)
	r.checkAlerts(p)
	r.checkData(p)
}

func (r *run) checkTasks(p *spec.Pipeline) {
	for i := range p.Tasks {
		t := &p.Tasks[i]
		path := fmt.Sprintf("tasks[%d]", i)
		name := fmt.Sprintf("%s %q", path, t.ID)
		switch {
		case t.Retries == nil:
			r.add(r.at(p, RuleTaskRetries, t.Pos, name+" has no retries (one attempt)"))
		case t.Retries.Attempts < 2:
			r.add(r.at(p, RuleTaskRetries, t.Pos, fmt.Sprintf("%s has retries of %d attempt, want at least 2", name, t.Retries.Attempts),
				path+".retries", "defaults.retries"))
		}
		if t.Timeout <= 0 {
			r.add(r.at(p, RuleTaskTimeout, t.Pos, name+" has no timeout"))
		}
		var missing string
		switch {
		case t.Resources.Memory <= 0 && t.Resources.MilliCPU <= 0:
			missing = "memory and CPU limits"
		case t.Resources.Memory <= 0:
			missing = "memory limit"
		case t.Resources.MilliCPU <= 0:
			missing = "CPU limit"
		}
		if missing != "" {
			r.add(r.at(p, RuleTaskResources, t.Pos, fmt.Sprintf("%s has no %s", name, missing), path+".resources", "defaults.resources"))
		}
	}
}
