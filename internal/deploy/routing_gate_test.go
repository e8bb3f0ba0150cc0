package deploy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// routeToBackup sends data-oncall to a second channel as well.
var routeToBackup = []edit{
	{"gantry.yaml", "      channels: [oncall]", "      channels: [oncall, backup]"},
	{"gantry.yaml", "  routes:\n", "    backup: {type: alertmanager, url: \"http://127.0.0.1:8/\"}\n  routes:\n"},
}

// A change of gantry.yaml's routing into production is test-fired first,
// through the routes as the deployment declares them: refused, storing
// nothing, when a channel does not take the test alert; recorded as the
// test_fire gate when every one does. Staging deploys fire nothing.
func TestRoutingChangeIsTestFiredBeforeProduction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var fired []string
	failing := true
	e.svc = deploy.New(deploy.Options{Store: e.st, Starter: e.starter,
		TestFire: func(_ context.Context, proj *spec.Project, route, _ string) (record.TestFire, error) {
			var chans []string
			for _, r := range proj.Alerts.Routes {
				if r.Name == route {
					chans = r.Channels
				}
			}
			fired = append(fired, route+" → "+strings.Join(chans, ","))
			tf := record.TestFire{Route: route, OK: !failing, Channels: chans}
			if failing {
				tf.Failed = []string{"backup"}
			}
			return tf, nil
		}})
	ctx := t.Context()
	base := collect(t, project(t), "orders")
	e.deploy("alice", base, "staging")
	e.deployApproved(base) // a new pipeline: no routing change
	if len(fired) > 0 {
		t.Fatalf("a first deploy test-fired %v", fired)
	}
	edited := collect(t, project(t, routeToBackup...), "orders")
	e.deploy("alice", edited, "staging")
	if len(fired) > 0 {
		t.Fatalf("a staging deploy test-fired %v", fired)
	}

	_, err := e.svc.Deploy(ctx, "alice", edited, "prod", "page backup too")
	var ge *deploy.GateError
	if !errors.As(err, &ge) || !strings.Contains(gateText(ge), `alert route "data-oncall" as this deployment declares it: channel backup did not take the test alert`) {
		t.Fatalf("deploy with a failing channel: %v", err)
	}
	if !slices.Equal(fired, []string{"data-oncall → oncall,backup"}) {
		t.Errorf("test-fired %v, want data-oncall with the new channels", fired)
	}
	ds, err := e.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: "orders", Env: "prod", Revision: edited.Hash, Limit: -1})
	if err != nil || len(ds) > 0 {
		t.Fatalf("a refused routing change stored deployments %v (%v)", ds, err)
	}

	failing = false
	r := e.deploy("alice", edited, "prod")
	if !slices.Contains(r.Deployment.Gates, deploy.GateTestFire) || r.Deployment.State != record.DeploymentPending || !r.Diff.Routing() {
		t.Errorf("deployment %+v, want pending with the test_fire gate and a routing diff", r.Deployment)
	}
	if !slices.Contains(e.audit(), "alice test_fire prod") {
		t.Errorf("audit %v lacks the gate's test-fire", e.audit())
	}
}

// Without a test-firer (the local CLI has no alert manager) a routing
// change cannot reach production.
func TestRoutingChangeWithoutTestFirerIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := collect(t, project(t), "orders")
	e.deploy("alice", base, "staging")
	e.deployApproved(base)
	_, err := e.svc.Deploy(t.Context(), "alice", collect(t, project(t, routeToBackup...), "orders"), "prod", "")
	var ge *deploy.GateError
	if !errors.As(err, &ge) || !strings.Contains(gateText(ge), "must be test-fired as deployed first: deploy through gantry serve") {
		t.Fatalf("deploy: %v", err)
	}
	// Other gantry.yaml changes are not routing changes.
	e.deploy("alice", collect(t, project(t, edit{"gantry.yaml", "warehouse: {slots: 2}", "warehouse: {slots: 3}"}), "orders"), "prod")
}

func gateText(ge *deploy.GateError) string {
	var b strings.Builder
	for _, r := range ge.Refused {
		for _, f := range r.Report.Findings {
			b.WriteString(f.File + ": " + f.Rule + ": " + f.Message + "\n")
		}
	}
	return b.String()
}
