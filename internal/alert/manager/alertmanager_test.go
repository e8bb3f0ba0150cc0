package manager_test

import (
	"encoding/json"

	"net/http"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/amtest"
	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// startAlertmanager runs a real Alertmanager until t ends.
func startAlertmanager(t *testing.T) string { return amtest.Start(t) }

type amAlert struct {
	Labels map[string]string `json:"labels"`
	EndsAt time.Time         `json:"endsAt"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

func activeAlerts(t *testing.T, base string) []amAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts?active=true&silenced=false&inhibited=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	return as
}

// waitFor polls the Alertmanager until cond holds for its active alerts.
func waitFor(t *testing.T, base, what string, cond func([]amAlert) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		as := activeAlerts(t, base)
		if cond(as) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %+v after 15s", what, as)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hasOurs(as []amAlert) bool {
	for _, a := range as {
		if a.Labels["alertname"] == manager.NameRunFailed && a.Labels["pipeline"] == "orders" && a.Labels["env"] == "prod" {
			return true
		}
	}
	return false
}

func TestRealAlertmanagerFiresAndResolves(t *testing.T) {
	t.Parallel()
	base := startAlertmanager(t)
	p := &spec.Project{Alerts: spec.ProjectAlerts{
		Channels: []spec.Channel{{Name: "am", Type: "alertmanager", URL: base}},
		Routes:   []spec.Route{{Name: "oncall", Channels: []string{"am"}, On: []string{"failure"}}},
	}}
	h := newHarness(t, p, manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	// The scenario happens in the last hour, so that the resolve's endsAt is
	// in the Alertmanager's past.
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	step := func(d time.Duration) {
		h.clock.Set(start.Add(d))
		h.eval()
	}
	failingRun(h, "prod", start)
	step(2 * time.Minute)
	step(3 * time.Minute)
	waitFor(t, base, "the firing alert", hasOurs)
	for _, d := range h.deliveries() {
		if !d.OK {
			t.Fatalf("delivery to the Alertmanager failed: %+v", d)
		}
	}

	h.run("orders", "prod", record.RunSucceeded, start.Add(10*time.Minute), start.Add(11*time.Minute),
		att{task: "extract", state: record.TaskSucceeded}, att{task: "load", state: record.TaskSucceeded})
	step(12 * time.Minute)
	step(20 * time.Minute)
	waitFor(t, base, "the resolved alert", func(as []amAlert) bool { return !hasOurs(as) })
	if n := len(h.deliveries()); n != 2 {
		t.Errorf("%d deliveries, want firing and resolved", n)
	}
}
