package manager_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/pagerduty"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

func pdEvents(t *testing.T, rcv *notifytest.Receiver) []pagerduty.Event {
	t.Helper()
	var out []pagerduty.Event
	for _, r := range rcv.Requests() {
		var e pagerduty.Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// failingRun is a run whose load task failed all three of its attempts.
func failingRun(h *harness, env string, at time.Time) record.Run {
	h.t.Helper()
	fail := att{task: "load", state: record.TaskFailed, err: "exit status 1"}
	return h.run("orders", env, record.RunFailed, at, at.Add(time.Minute),
		att{task: "extract", state: record.TaskSucceeded}, fail, fail, fail)
}

func TestFailingTaskWithRetriesPagesOnceThenResolves(t *testing.T) {
	t.Parallel()
	hook, pd := notifytest.NewReceiver(t), notifytest.NewReceiver(t, notifytest.Reply{Status: 202})
	h := newHarness(t, project(hook.URL, pd.URL, spec.Grouping{}), manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	// Only failures here: a dead letter alert would join the page otherwise.
	h.project.Alerts.Routes[0].On = []string{"failure"}

	failingRun(h, "prod", t0)
	h.at(time.Second)
	if got := len(pd.Requests()) + len(hook.Requests()); got != 0 {
		t.Fatalf("sent %d notifications before group_wait", got)
	}
	h.at(31 * time.Second)
	h.at(5 * time.Minute)
	h.at(6 * time.Minute)

	// A restart: a new manager on the same store sends nothing again.
	h.m = h.newManager()
	h.at(12 * time.Minute)
	h.at(3 * time.Hour)
	evs := pdEvents(t, pd)
	if len(evs) != 1 || evs[0].EventAction != "trigger" || evs[0].DedupKey == "" || evs[0].Payload == nil {
		t.Fatalf("PagerDuty got %+v, want exactly one trigger", evs)
	}
	if evs[0].RoutingKey != "pd-routing-key" || evs[0].Payload.Severity != "critical" {
		t.Errorf("trigger: routing key %q severity %q", evs[0].RoutingKey, evs[0].Payload.Severity)
	}
	if !strings.Contains(evs[0].Payload.Summary, "load failed after 3 attempts") {
		t.Errorf("summary %q does not say what broke", evs[0].Payload.Summary)
	}

	// The next run succeeds: the alert resolves and the resolve is sent
	// at the group's next look, with the same dedup key.
	h.run("orders", "prod", record.RunSucceeded, t0.Add(3*time.Hour), t0.Add(3*time.Hour+time.Minute),
		att{task: "extract", state: record.TaskSucceeded}, att{task: "load", state: record.TaskSucceeded})
	h.at(3*time.Hour + 2*time.Minute)
	h.at(3*time.Hour + 10*time.Minute)
	h.at(4 * time.Hour)
	evs = pdEvents(t, pd)
	if len(evs) != 2 || evs[1].EventAction != "resolve" || evs[1].DedupKey != evs[0].DedupKey {
		t.Fatalf("PagerDuty got %+v, want trigger then resolve with one dedup key", evs)
	}
	payloads := webhookPayloads(t, hook, "whsec-test", h.clock.Now())
	if len(payloads) != 2 || payloads[0].Status != "firing" || payloads[1].Status != "resolved" {
		t.Fatalf("webhook got %+v, want firing then resolved", payloads)
	}
	a := payloads[0].Alerts[0]
	if a.Labels["alertname"] != "RunFailed" || a.Labels["pipeline"] != "orders" || a.Labels["env"] != "prod" ||
		a.Labels["owner"] != "data-eng" || a.Labels["severity"] != "critical" || a.Labels["route"] != "oncall" {
		t.Errorf("labels %v", a.Labels)
	}
	if !strings.HasPrefix(a.RunURL, "https://gantry.example/runs/") || a.RunbookURL != "https://gantry.example/pipelines/orders/runbook#task-failed" {
		t.Errorf("links %q %q", a.RunURL, a.RunbookURL)
	}
	if got := h.firing(); slices.Contains(got, manager.NameRunFailed) {
		t.Errorf("still firing: %v", got)
	}
	ds := h.deliveries()
	if len(ds) != 4 {
		t.Errorf("%d deliveries recorded, want 4: %+v", len(ds), ds)
	}
	for _, d := range ds {
		if !d.OK || d.Attempts != 1 || len(d.Alerts) != 1 {
			t.Errorf("delivery %+v", d)
		}
	}
	// A failure after that is a new page for the same fingerprint.
	failingRun(h, "prod", t0.Add(5*time.Hour))
	h.at(5*time.Hour + 2*time.Minute)
	h.at(5*time.Hour + 20*time.Minute)
	if evs = pdEvents(t, pd); len(evs) != 3 || evs[2].EventAction != "trigger" || evs[2].DedupKey != evs[0].DedupKey {
		t.Errorf("after a new failure PagerDuty got %+v", evs)
	}
}

func TestSilencedAlertSendsNothing(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewReceiver(t)
	h := newHarness(t, project(hook.URL, "", spec.Grouping{}, spec.Route{Name: "oncall", Channels: []string{"hook"}}),
		manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	_, err := h.m.AddSilence(t.Context(), record.Silence{StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "alice", Reason: "db migration",
		Matchers: []record.Matcher{{Name: "pipeline", Op: "=", Value: "orders"}, {Name: "env", Op: "=~", Value: "prod|staging"}}})
	if err != nil {
		t.Fatal(err)
	}
	failingRun(h, "prod", t0)
	h.at(time.Minute)
	h.at(10 * time.Minute)
	if n := len(hook.Requests()); n != 0 {
		t.Fatalf("a silenced alert sent %d notifications", n)
	}
	if got := h.firing(); !slices.Contains(got, manager.NameRunFailed) {
		t.Fatalf("firing %v: the alert is recorded even while silenced", got)
	}
	d, err := h.m.GetAlert(t.Context(), firingFP(h, manager.NameRunFailed))
	if err != nil || d.SilencedBy == 0 {
		t.Errorf("GetAlert = %+v, %v: want it silenced", d, err)
	}
	sils, err := h.m.ListSilences(t.Context(), true)
	if err != nil || len(sils) != 1 {
		t.Fatalf("active silences %v %v", sils, err)
	}
	if err := h.m.ExpireSilence(t.Context(), sils[0].ID, "bob"); err != nil {
		t.Fatal(err)
	}
	h.at(20 * time.Minute)
	if p := webhookPayloads(t, hook, "whsec-test", h.clock.Now()); len(p) != 2 || len(p[0].Alerts) != 1 {
		t.Fatalf("after the silence ended got %+v, want the failure and the dead letter groups", p)
	}
	// Bad silences are refused.
	for _, bad := range []record.Silence{
		{EndsAt: t0.Add(2 * time.Hour), CreatedBy: "a", Reason: "r"},
		{Matchers: []record.Matcher{{Name: "x", Op: "=~", Value: "("}}, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "a", Reason: "r"},
		{Matchers: []record.Matcher{{Name: "x", Op: "=", Value: "y"}}, EndsAt: t0, CreatedBy: "a", Reason: "r"},
	} {
		if _, err := h.m.AddSilence(t.Context(), bad); err == nil {
			t.Errorf("AddSilence(%+v) accepted", bad)
		}
	}
}

func firingFP(h *harness, name string) string {
	h.t.Helper()
	as, err := h.st.ListAlerts(h.t.Context(), store.AlertFilter{Name: name, Limit: 1})
	if err != nil || len(as) == 0 {
		h.t.Fatalf("no %s alert: %v", name, err)
	}
	return as[0].Fingerprint
}

func TestReceiverDownIsRetriedAndRecorded(t *testing.T) {
	t.Parallel()
	down := "http://" + notifytest.ClosedAddr(t) + "/hook"
	failing := notifytest.NewReceiver(t, notifytest.Reply{Status: 500, Body: "boom"})
	h := newHarness(t, project(down, failing.URL, spec.Grouping{}), manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	failingRun(h, "prod", t0)
	h.at(time.Minute)
	h.at(2 * time.Minute)
	ds := h.deliveries()
	if len(ds) != 4 {
		t.Fatalf("deliveries %+v, want one per channel and group (failure, dead letter)", ds)
	}
	for _, d := range ds {
		if d.OK || d.Attempts != 3 || d.Error == "" || d.Kind != record.DeliveryFiring {
			t.Errorf("delivery %+v: want a failure after 3 attempts", d)
		}
		if d.Channel == "pd" && d.Status != 500 {
			t.Errorf("pd status %d", d.Status)
		}
	}
	if n := len(failing.Requests()); n != 6 {
		t.Errorf("the 500 receiver got %d requests, want 3 attempts", n)
	}
	// The next look at the group tries again.
	h.at(8 * time.Minute)
	if n := len(h.deliveries()); n != 8 {
		t.Errorf("%d deliveries after the next flush, want 8", n)
	}
	d, err := h.m.GetAlert(t.Context(), firingFP(h, manager.NameRunFailed))
	if err != nil || len(d.Deliveries) != 4 {
		t.Errorf("GetAlert deliveries %d, %v", len(d.Deliveries), err)
	}
}

func TestGroupWaitBatchesAndRepeatIntervalResends(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewReceiver(t)
	g := spec.Grouping{GroupBy: []string{"pipeline", "env"}, GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}
	h := newHarness(t, project(hook.URL, "", g, spec.Route{Name: "oncall", Channels: []string{"hook"}}),
		manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	failingRun(h, "prod", t0) // raises RunFailed and DeadLettersPending together
	h.at(time.Second)
	next := h.eval()
	if want := t0.Add(31 * time.Second); !next.Equal(want) {
		t.Errorf("next wake-up %v, want the group's flush at %v", next, want)
	}
	h.at(31 * time.Second)
	p := webhookPayloads(t, hook, "whsec-test", h.clock.Now())
	if len(p) != 1 || len(p[0].Alerts) != 2 {
		t.Fatalf("got %d notifications (%+v), want one with both alerts", len(p), p)
	}
	h.at(30 * time.Minute)
	if n := len(hook.Requests()); n != 1 {
		t.Fatalf("%d notifications before repeat_interval, want 1", n)
	}
	h.at(time.Hour + 32*time.Second)
	if n := len(hook.Requests()); n != 2 {
		t.Fatalf("%d notifications after repeat_interval, want 2", n)
	}
}

func TestRaisedRollbackResolvesAfterNextSuccess(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewReceiver(t)
	h := newHarness(t, project(hook.URL, "", spec.Grouping{}, spec.Route{Name: "oncall", Channels: []string{"hook"}, On: []string{"rollback"}}),
		manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	h.clock.Set(t0)
	if err := h.m.Raise(t.Context(), manager.Raised{Pipeline: "orders", Env: "prod", Summary: "rolled back to r1: first run of r2 failed"}); err != nil {
		t.Fatal(err)
	}
	h.at(time.Minute)
	h.at(10 * time.Minute)
	if got := h.firing(); !slices.Equal(got, []string{manager.NameRolledBack}) {
		t.Fatalf("firing %v", got)
	}
	h.run("orders", "prod", record.RunSucceeded, t0.Add(time.Hour), t0.Add(time.Hour+time.Minute), att{task: "load", state: record.TaskSucceeded})
	h.at(time.Hour + 2*time.Minute)
	h.at(time.Hour + 20*time.Minute)
	p := webhookPayloads(t, hook, "whsec-test", h.clock.Now())
	if len(p) != 2 || p[0].Status != "firing" || p[1].Status != "resolved" || p[0].Alerts[0].Labels["alertname"] != "RolledBack" {
		t.Fatalf("got %+v, want RolledBack firing then resolved", p)
	}
}

func TestTestFire(t *testing.T) {
	t.Parallel()
	hook, pd := notifytest.NewReceiver(t), notifytest.NewReceiver(t, notifytest.Reply{Status: 202})
	p := project(hook.URL, pd.URL, spec.Grouping{}, spec.Route{Name: "oncall", Channels: []string{"hook"},
		Routes: []spec.Route{{Match: map[string]string{"env": "prod"}, Channels: []string{"pd"}}, {Channels: []string{"down"}}}})
	p.Alerts.Channels = append(p.Alerts.Channels, spec.Channel{Name: "down", Type: "webhook", URL: "http://" + notifytest.ClosedAddr(t), Secret: "hook_key"})
	h := newHarness(t, p)
	if _, ok, err := h.m.LastTestFire(t.Context(), "oncall"); ok || err != nil {
		t.Fatalf("LastTestFire before any = %v, %v", ok, err)
	}
	tf, ds, err := h.m.TestFire(t.Context(), "oncall", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if tf.OK || !slices.Equal(tf.Failed, []string{"down"}) || !slices.Equal(tf.Channels, []string{"hook", "pd", "down"}) {
		t.Errorf("test-fire %+v", tf)
	}
	if len(ds) != 3 || !ds[0].OK || !ds[1].OK || ds[2].OK || ds[2].Attempts != 3 || ds[0].Kind != record.DeliveryTest {
		t.Errorf("deliveries %+v", ds)
	}
	wp := webhookPayloads(t, hook, "whsec-test", h.clock.Now())
	if len(wp) != 1 || !wp[0].Test || !wp[0].Alerts[0].Test {
		t.Errorf("webhook test payload %+v", wp)
	}
	if evs := pdEvents(t, pd); len(evs) != 2 || evs[0].EventAction != "trigger" || evs[1].EventAction != "resolve" {
		t.Errorf("PagerDuty test events %+v: want trigger and resolve", evs)
	}
	if _, ok, _ := h.m.LastTestFire(t.Context(), "oncall"); ok {
		t.Error("a failed test-fire counts as one")
	}
	stored, err := h.st.ListAlertDeliveries(t.Context(), store.AlertDeliveryFilter{TestFireID: tf.ID})
	if err != nil || len(stored) != 3 {
		t.Errorf("stored test deliveries %d, %v", len(stored), err)
	}
	// Without the broken channel the route passes.
	h.project.Alerts.Routes[0].Routes = h.project.Alerts.Routes[0].Routes[:1]
	h.clock.Add(time.Hour)
	if tf, _, err = h.m.TestFire(t.Context(), "oncall", "alice"); err != nil || !tf.OK {
		t.Fatalf("second test-fire %+v %v", tf, err)
	}
	at, ok, err := h.m.LastTestFire(t.Context(), "oncall")
	if err != nil || !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastTestFire = %v %v %v", at, ok, err)
	}
	if _, _, err := h.m.TestFire(t.Context(), "nope", "alice"); err == nil {
		t.Error("test-fire of an unknown route succeeded")
	}
}

func TestRetryRouteHearsEachRetriedFailure(t *testing.T) {
	t.Parallel()
	hook, pd := notifytest.NewReceiver(t), notifytest.NewReceiver(t, notifytest.Reply{Status: 202})
	h := newHarness(t, project(hook.URL, pd.URL, spec.Grouping{GroupBy: []string{"pipeline"}}, spec.Route{
		Name: "oncall", Channels: []string{"pd"}, On: []string{"failure"},
		Routes: []spec.Route{{On: []string{"retry"}, Channels: []string{"hook"}, Continue: true}},
	}), manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	failingRun(h, "prod", t0)
	h.at(time.Minute)
	h.at(2 * time.Minute)
	h.at(10 * time.Minute)
	h.at(20 * time.Minute)
	p := webhookPayloads(t, hook, "whsec-test", h.clock.Now())
	if len(p) != 1 || len(p[0].Alerts) != 2 {
		t.Fatalf("retry route got %+v, want one notification of the 2 retried attempts", p)
	}
	for _, a := range p[0].Alerts {
		if a.Labels["alertname"] != manager.NameTaskRetried || a.Labels["task"] != "load" {
			t.Errorf("retry alert %v", a.Labels)
		}
	}
	if evs := pdEvents(t, pd); len(evs) != 1 || evs[0].EventAction != "trigger" {
		t.Errorf("failure route got %+v, want one page", evs)
	}
	if got := h.firing(); slices.Contains(got, manager.NameTaskRetried) {
		t.Errorf("retry events still firing after delivery: %v", got)
	}
}

func TestStartWakeStop(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewReceiver(t)
	h := newHarness(t, project(hook.URL, "", spec.Grouping{GroupWait: time.Millisecond}, spec.Route{Name: "oncall", Channels: []string{"hook"}, On: []string{"failure"}}),
		manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	h.clock.Set(time.Now())
	m := h.newManager()
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(t.Context()); err == nil {
		t.Error("second Start succeeded")
	}
	failingRun(h, "prod", time.Now().Add(-time.Minute))
	deadline := time.Now().Add(10 * time.Second)
	for len(hook.Requests()) == 0 {
		h.clock.Set(time.Now())
		m.Wake()
		if time.Now().After(deadline) {
			t.Fatal("the loop delivered nothing within 10s of Wake")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Stop()
	m.Stop()
}
