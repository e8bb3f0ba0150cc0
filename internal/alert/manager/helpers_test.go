package manager_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/webhook"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// harness is a real SQLite store, a fake clock, a project and managers
// made on them.
type harness struct {
	t       testing.TB
	st      store.Store
	clock   *clock
	project *spec.Project
	targets []manager.Target
	secrets map[string]string
	sleeps  *notifytest.Sleeps
	m       *manager.Manager
	poll    time.Duration
	mailTLS *tls.Config // STARTTLS trust for e-mail channels
}

func newHarness(t testing.TB, project *spec.Project, targets ...manager.Target) *harness {
	t.Helper()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := &harness{t: t, st: st, clock: &clock{t: t0}, project: project, targets: targets,
		secrets: map[string]string{"hook_key": "whsec-test", "pd_key": "pd-routing-key"}, sleeps: &notifytest.Sleeps{},
		poll: 24 * time.Hour}
	h.m = h.newManager()
	return h
}

// newManager returns a manager on h's store, as after a restart.
func (h *harness) newManager() *manager.Manager {
	h.t.Helper()
	m, err := manager.New(manager.Config{
		Store: h.st, Project: func() *spec.Project { return h.project },
		Targets: func() []manager.Target { return h.targets },
		Secrets: func(name string) (string, error) {
			if v, ok := h.secrets[name]; ok {
				return v, nil
			}
			return "", context.Canceled
		},
		BaseURL: "https://gantry.example", Now: h.clock.Now, Poll: h.poll,
		Notifiers: app.Notifiers(app.NotifierOptions{
			Retry:   notify.Policy{Attempts: 3, Sleep: h.sleeps.Sleep},
			MailTLS: h.mailTLS, Now: h.clock.Now,
		}),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// eval runs one pass at the clock's time and returns the next wake-up.
func (h *harness) eval() time.Time {
	h.t.Helper()
	next, err := h.m.Evaluate(h.t.Context(), h.clock.Now())
	if err != nil {
		h.t.Fatalf("Evaluate: %v", err)
	}
	return next
}

// at moves the clock to t0+d and evaluates.
func (h *harness) at(d time.Duration) time.Time {
	h.t.Helper()
	h.clock.Set(t0.Add(d))
	return h.eval()
}

// att is one attempt of a task.
type att struct {
	task    string
	state   record.TaskState
	err     string
	rows    string // the rows output; "" for none
	logPath string
}

// run records a final run the way the engine would: the run, its tasks
// and attempts, and dead letters for tasks that failed for good.
func (h *harness) run(pipeline, env string, state record.RunState, start, finish time.Time, atts ...att) record.Run {
	h.t.Helper()
	ctx := h.t.Context()
	var names []string
	for _, a := range atts {
		if !contains(names, a.task) {
			names = append(names, a.task)
		}
	}
	r := record.Run{Pipeline: pipeline, Env: env, Trigger: record.TriggerManual, CreatedAt: start,
		IntervalStart: start.Add(-24 * time.Hour), IntervalEnd: start}
	if err := h.st.CreateRun(ctx, &r, names); err != nil {
		h.t.Fatal(err)
	}
	b := &store.Batch{}
	n := map[string]int{}
	last := map[string]*record.TaskAttempt{}
	for _, a := range atts {
		n[a.task]++
		ta := &record.TaskAttempt{RunID: r.ID, Task: a.task, Attempt: n[a.task], State: a.state, QueuedAt: start,
			StartedAt: start, FinishedAt: finish, Error: a.err, LogPath: a.logPath}
		if a.rows != "" {
			ta.Outputs = []record.Output{{Key: "rows", Value: a.rows}}
		}
		b.Insert = append(b.Insert, ta)
		last[a.task] = ta
	}
	if err := h.st.Apply(ctx, b); err != nil {
		h.t.Fatal(err)
	}
	b = &store.Batch{}
	for _, name := range names {
		ta := last[name]
		b.Tasks = append(b.Tasks, record.RunTask{RunID: r.ID, Task: name, State: ta.State, Attempts: n[name], UpdatedAt: finish})
		if ta.State != record.TaskSucceeded && state == record.RunFailed {
			b.DeadLetters = append(b.DeadLetters, &record.DeadLetter{RunID: r.ID, Pipeline: pipeline, Task: name,
				AttemptID: ta.ID, Attempts: n[name], Error: ta.Error, CreatedAt: finish})
		}
	}
	r.State, r.StartedAt, r.FinishedAt = state, start, finish
	b.Run = &r
	if err := h.st.Apply(ctx, b); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// firing returns the names of the firing alerts.
func (h *harness) firing() []string {
	h.t.Helper()
	as, err := h.st.ListAlerts(h.t.Context(), store.AlertFilter{State: record.AlertFiring, Limit: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// alerts returns every alert, firing or resolved.
func (h *harness) alerts() []record.Alert {
	h.t.Helper()
	as, err := h.st.ListAlerts(h.t.Context(), store.AlertFilter{Limit: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	return as
}

func (h *harness) deliveries() []record.AlertDelivery {
	h.t.Helper()
	ds, err := h.st.ListAlertDeliveries(h.t.Context(), store.AlertDeliveryFilter{Limit: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// webhookPayloads decodes and verifies every request a webhook receiver
// got: each must carry a valid signature under key.
func webhookPayloads(t *testing.T, rcv *notifytest.Receiver, key string, now time.Time) []webhook.Payload {
	t.Helper()
	var out []webhook.Payload
	for _, r := range rcv.Requests() {
		if err := webhook.Verify([]byte(key), r.Header.Get(webhook.HeaderTimestamp), r.Body,
			r.Header.Get(webhook.HeaderSignature), 24*time.Hour*365, now); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		var p webhook.Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// pipeline is a minimal pipeline routed to route.
func pipeline(name, route string) *spec.Pipeline {
	return &spec.Pipeline{Name: name, Owner: "data-eng", Alerts: spec.Alerts{Route: route}, Runbook: "runbooks/" + name + ".md",
		Tasks: []spec.Task{{ID: "extract"}, {ID: "load", Needs: []string{"extract"}}}}
}

// project has a webhook and a PagerDuty channel on the route "oncall".
func project(hookURL, pdURL string, g spec.Grouping, routes ...spec.Route) *spec.Project {
	p := &spec.Project{
		Environments: []spec.ProjectEnvironment{{Name: "prod", Production: true}, {Name: "staging"}},
		Alerts: spec.ProjectAlerts{
			Channels: []spec.Channel{
				{Name: "hook", Type: "webhook", URL: hookURL, Secret: "hook_key"},
				{Name: "pd", Type: "pagerduty", URL: pdURL, Secret: "pd_key"},
			},
			Grouping: g,
		},
	}
	if len(routes) == 0 {
		routes = []spec.Route{{Name: "oncall", Channels: []string{"hook", "pd"}}}
	}
	p.Alerts.Routes = routes
	return p
}

func storeFilter(pipeline, env string) store.AlertFilter {
	return store.AlertFilter{Pipeline: pipeline, Env: env, State: record.AlertFiring}
}
