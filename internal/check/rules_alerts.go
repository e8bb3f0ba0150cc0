package check

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// RuleAlertTestFire is the rule id of checkTestFire.
const RuleAlertTestFire = "alert-test-fire"

// TestFireMaxAge is how recent a route's last successful test-fire must be.
const TestFireMaxAge = 30 * 24 * time.Hour

func init() {
	rules = append(rules, Rule{
		ID: RuleAlertTestFire, Severity: SeverityError,
		Title: "The alert route of a production pipeline was test-fired in the last 30 days",
		Explain: `A route that was never tried may page nobody: a rotated PagerDuty key, a
deleted Slack webhook, a mail relay that now wants TLS. A test-fire sends a
clearly marked test alert through every channel of the route and records
which took it; the gate wants one that every channel took within the last
30 days for the route of each pipeline deployed to production.

    gantry alerts test --route data-oncall

Only checked when the gate can read the store's test-fire history (gantry
check against a server or store); production environments are those marked
production: true in gantry.yaml, or named prod or production.`,
		Fix: "run gantry alerts test --route ROUTE and fix every channel that failed",
	})
}

// checkTestFire reports a production pipeline whose alert route had no
// successful test-fire in the last TestFireMaxAge. A route that is unset
// or undeclared is alert-route's finding, not this one's.
func (r *run) checkTestFire(p *spec.Pipeline) {
	if r.opts.TestFires == nil || !r.projectOK {
		return
	}
	route := p.Alerts.Route
	if route == "" || !slices.ContainsFunc(r.project.Alerts.Routes, func(rt spec.Route) bool { return rt.Name == route }) {
		return
	}
	envs := r.productionEnvs(p)
	if len(envs) == 0 {
		return
	}
	where := fmt.Sprintf("used by %s in production: %s", p.Name, strings.Join(envs, ", "))
	last, ok := r.opts.TestFires(route)
	var msg string
	switch age := r.opts.Now().Sub(last); {
	case !ok:
		msg = fmt.Sprintf("alert route %q (%s) was never test-fired successfully", route, where)
	case age > TestFireMaxAge:
		msg = fmt.Sprintf("alert route %q (%s) was last test-fired successfully on %s, %d days ago",
			route, where, last.UTC().Format(time.DateOnly), int(age.Hours()/24))
	default:
		return
	}
	r.add(r.at(p, RuleAlertTestFire, spec.Pos{}, msg, "alerts.route", "alerts"))
}
