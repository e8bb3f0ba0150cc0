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
	r.checkTaskEnvironments(p)
	r.checkAlerts(p)
	r.checkData(p)
}

func (r *run) checkTasks(p *spec.Pipeline) {
	for i := range p.Tasks {
		t := &p.Tasks[i]
		path := fmt.Sprintf("tasks[%d]", i)
		name := fmt.Sprintf("%s %q", path, t.ID)
		if t.Kind == spec.KindApproval {
			// People answer it once and it runs nothing: retries and
			// limits mean nothing to it; its timeout is how long it waits.
			continue
		}
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

// checkTaskEnvironments refuses a task into a protected environment that
// no approval task is upstream of, on every path to it: such a run would
// ship there unreviewed.
func (r *run) checkTaskEnvironments(p *spec.Pipeline) {
	protected := map[string]bool{}
	if r.projectOK {
		for _, e := range r.project.Environments {
			protected[e.Name] = e.Protected()
		}
	}
	for _, e := range p.Environments {
		if e.Approval.Required > 0 {
			protected[e.Name] = true
		}
	}
	byID := make(map[string]*spec.Task, len(p.Tasks))
	for i := range p.Tasks {
		byID[p.Tasks[i].ID] = &p.Tasks[i]
	}
	// gated[id]: every path from a root to the task passes an approval.
	gated := map[string]bool{}
	var isGated func(id string, depth int) bool
	isGated = func(id string, depth int) bool {
		if g, ok := gated[id]; ok {
			return g
		}
		t := byID[id]
		if t == nil || depth > len(p.Tasks) {
			return false
		}
		g := len(t.Needs) > 0
		for _, n := range t.Needs {
			if nt := byID[n]; nt == nil || !(nt.Kind == spec.KindApproval || isGated(n, depth+1)) {
				g = false
			}
		}
		gated[id] = g
		return g
	}
	for i := range p.Tasks {
		t := &p.Tasks[i]
		if t.Environment == "" || !protected[t.Environment] || t.Kind == spec.KindApproval || isGated(t.ID, 0) {
			continue
		}
		path := fmt.Sprintf("tasks[%d]", i)
		r.add(r.at(p, RuleTaskEnvApproval, t.Pos, fmt.Sprintf("%s %q deploys into protected environment %s with no approval task before it",
			path, t.ID, t.Environment), path+".environment"))
	}
}
