package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// envPolicy is how deployments to one environment are gated.
type envPolicy struct {
	staging   bool // a staging environment: deploys start a staging run
	required  int  // approvals; 0: not protected
	approvers []string
	classes   map[string][]string // risk class → gates
	// explicit holds the classes gantry.yaml's deploy.gates names: only
	// those may leave out the approval of a protected environment.
	explicit map[string]bool
}

// policyFor works out env's policy. The rules in force are those of the
// revision active there (a change to approval rules applies from the
// deployment after the one that brings it); with none active, or when the
// active one does not know env, the new bundle's.
func policyFor(active, next *Bundle, env string) (envPolicy, error) {
	for _, b := range []*Bundle{active, next} {
		if b == nil {
			continue
		}
		proj, p, err := parseBundle(b)
		if err != nil {
			return envPolicy{}, err
		}
		if pol, ok := policyOf(proj, p, env); ok {
			return pol, nil
		}
	}
	proj, p, _ := parseBundle(next)
	return envPolicy{}, fmt.Errorf("%w: unknown environment %q: %s declares %s", ErrInvalid, env,
		spec.ProjectFile, orNone(envNames(proj, p)))
}

func policyOf(proj *spec.Project, p *spec.Pipeline, env string) (envPolicy, bool) {
	pol := envPolicy{classes: proj.Deploy.Gates, explicit: map[string]bool{}}
	for class := range proj.Deploy.Gates {
		if _, ok := proj.Positions["deploy.gates."+class]; ok {
			pol.explicit[class] = true
		}
	}
	found := false
	for _, e := range proj.Environments {
		if e.Name == env {
			found = true
			pol.staging, pol.required, pol.approvers = e.Staging, e.Approval.Required, e.Approval.Approvers
		}
	}
	for _, e := range p.Environments {
		if e.Name == env {
			found = true
			pol.required = max(pol.required, e.Approval.Required)
			if len(e.Approval.Approvers) > 0 {
				pol.approvers = e.Approval.Approvers
			}
		}
	}
	return pol, found
}

func envNames(proj *spec.Project, p *spec.Pipeline) []string {
	var names []string
	if proj != nil {
		for _, e := range proj.Environments {
			names = append(names, e.Name)
		}
	}
	if p != nil {
		for _, e := range p.Environments {
			if !slices.Contains(names, e.Name) {
				names = append(names, e.Name)
			}
		}
	}
	return names
}

// gates returns the gates of a deployment of class, plus extra: the check
// always; staging only outside staging environments; approval only in
// protected ones, and there for every class gantry.yaml's deploy.gates
// does not name: a protected environment's approval is left out only
// when someone wrote so. Readiness, like approval, is on by default in a
// protected environment.
func (pol envPolicy) gates(class string, extra []string) []string {
	want, ok := pol.classes[class]
	if !ok {
		want = spec.DefaultGates[class]
	}
	want = slices.Clone(want)
	if pol.required > 0 && !pol.explicit[class] {
		want = append(want, spec.GateApproval, spec.GateReadiness)
	}
	out := []string{spec.GateCheck}
	for _, g := range append(want, extra...) {
		switch {
		case slices.Contains(out, g):
		case g == spec.GateStaging && pol.staging:
		case g == spec.GateApproval && pol.required == 0:
		default:
			out = append(out, g)
		}
	}
	return out
}

// parseBundle parses the bundle's gantry.yaml (a zero project without
// one) and pipeline file.
func parseBundle(b *Bundle) (*spec.Project, *spec.Pipeline, error) {
	proj := &spec.Project{Deploy: spec.DeployPolicy{Gates: spec.DefaultGates}}
	if data, ok := b.Files[spec.ProjectFile]; ok {
		var err error
		if proj, err = spec.ParseProject(spec.ProjectFile, data); err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", b.Pipeline, Short(b.Hash), err)
		}
	}
	p, err := spec.ParsePipeline(b.File, b.Files[b.File])
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", b.Pipeline, Short(b.Hash), err)
	}
	return proj, p, nil
}

// isProduction reports whether env is a production environment: so marked
// in gantry.yaml, or named prod or production (as the gate decides).
func isProduction(proj *spec.Project, env string) bool {
	for _, e := range proj.Environments {
		if e.Name == env && e.Production {
			return true
		}
	}
	return strings.EqualFold(env, "prod") || strings.EqualFold(env, "production")
}
