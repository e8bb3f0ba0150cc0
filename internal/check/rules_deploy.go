package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// riskClasses are the classes of change deploy.gates maps, in order.
var riskClasses = []string{spec.RiskL1, spec.RiskL2, spec.RiskL3, spec.RiskL4}

// checkDeployGates warns, at the deploy.gates entry, about each class
// gantry.yaml names without the approval gate while some environment is
// protected: that class reaches it unapproved (a class left out gets the
// approval; see internal/deploy).
func (r *run) checkDeployGates() {
	if !r.projectOK || r.project.File == "" {
		return
	}
	envs := r.protectedEnvs()
	if len(envs) == 0 {
		return
	}
	for _, class := range riskClasses {
		path := "deploy.gates." + class
		pos, named := r.project.Positions[path]
		if !named || slices.Contains(r.project.Deploy.Gates[class], spec.GateApproval) {
			continue
		}
		gates := append(slices.Clone(r.project.Deploy.Gates[class]), spec.GateApproval)
		r.add(Finding{Rule: RuleGateApproval, File: r.rel(r.project.File), Line: pos.Line, Col: pos.Col,
			Message: fmt.Sprintf("%s lets %s changes into protected %s without approval", path, class, envList(envs)),
			Fix:     fmt.Sprintf("write %s: [%s], or suppress this with the reason review is not needed", class, strings.Join(gates, ", "))})
	}
}

// protectedEnvs lists the environments that require approvals, in
// gantry.yaml or in any pipeline, limited to Options.Env when it is set.
func (r *run) protectedEnvs() []string {
	var out []string
	add := func(name string, required int) {
		if required > 0 && (r.opts.Env == "" || name == r.opts.Env) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, e := range r.project.Environments {
		add(e.Name, e.Approval.Required)
	}
	for _, p := range r.pipelines {
		for _, e := range p.Environments {
			add(e.Name, e.Approval.Required)
		}
	}
	return out
}

// envList is "environment prod" or "environments prod, qa".
func envList(envs []string) string {
	if len(envs) == 1 {
		return "environment " + envs[0]
	}
	return "environments " + strings.Join(envs, ", ")
}
