package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// TestFirer sends a marked test alert through every channel of route as
// project declares it (not as the server routes today), records the
// test-fire and returns it; OK is true when every channel took it. The
// alert manager implements it (manager.TestFireWith).
type TestFirer func(ctx context.Context, project *spec.Project, route, actor string) (record.TestFire, error)

// testFireRoutes is the test_fire gate: a deployment that changes
// gantry.yaml's routing in a production environment first test-fires each
// route it adds or changes through the configuration it brings, and is
// refused, storing nothing, unless every channel took the test alert.
// It reports whether it test-fired anything.
func (s *Service) testFireRoutes(ctx context.Context, actor string, p *plan) (bool, error) {
	if p.unchanged() || p.diff == nil || len(p.diff.Routes) == 0 {
		return false, nil
	}
	proj, _, err := parseBundle(p.b)
	if err != nil {
		return false, err
	}
	if !isProduction(proj, p.env) {
		return false, nil
	}
	refuse := func(route, msg string) check.Finding {
		pos := proj.Positions["alerts.routes."+route]
		return check.Finding{Rule: check.RuleAlertTestFire, Severity: check.SeverityError, File: spec.ProjectFile,
			Line: pos.Line, Col: pos.Col, Message: msg,
			Fix: "fix the channels of the route in gantry.yaml (URL, secret), then deploy again"}
	}
	var findings []check.Finding
	for _, route := range p.diff.Routes {
		if s.testFire == nil {
			findings = append(findings, refuse(route, fmt.Sprintf("alert route %q changes in %s and must be test-fired as deployed first: deploy through gantry serve (--server)", route, p.env)))
			continue
		}
		tf, err := s.testFire(ctx, proj, route, actor)
		switch {
		case err != nil:
			findings = append(findings, refuse(route, fmt.Sprintf("alert route %q as this deployment declares it could not be test-fired: %v", route, err)))
		case !tf.OK:
			findings = append(findings, refuse(route, fmt.Sprintf("alert route %q as this deployment declares it: channel %s did not take the test alert", route, strings.Join(tf.Failed, ", "))))
		}
		ev := &record.AuditEvent{Time: s.now(), Actor: actor, Action: record.AuditTestFire, Pipeline: p.b.Pipeline, Env: p.env,
			Revision: p.b.Hash, Reason: "route " + route, Detail: fmt.Sprintf("deploy gate: routing change to %s; ok %v", p.env, err == nil && tf.OK)}
		if err := s.st.AppendAudit(ctx, ev); err != nil {
			return false, err
		}
	}
	if len(findings) > 0 {
		return false, &GateError{Env: p.env, Refused: []GateReport{{Pipeline: p.b.Pipeline, Report: &check.Report{Findings: findings}}}}
	}
	return true, nil
}
