package alertmanager_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/alertmanager"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
)

var now = time.Date(2026, 11, 21, 4, 0, 0, 0, time.UTC)

func firing() alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-orders-load", Status: alert.StatusFiring,
		Labels:  map[string]string{"pipeline": "orders_daily", "env": "prod", "severity": "critical", "alertname": "TaskFailed", "task-name": "load", "empty": ""},
		Summary: "load failed", Details: "FATAL: too many connections",
		RunURL: "https://gantry.example/runs/42", RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
	}
}

type postable struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     *time.Time        `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// decode checks a request against Alertmanager's OpenAPI postableAlerts:
// an array of alerts, each with a non-empty label set of valid names.
func decode(t *testing.T, r notifytest.Request) []postable {
	t.Helper()
	if r.Method != "POST" || r.Path != "/api/v2/alerts" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s %q, want a JSON POST to /api/v2/alerts", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("body is not an array of objects: %v\n%s", err, r.Body)
	}
	var as []postable
	if err := json.Unmarshal(r.Body, &as); err != nil {
		t.Fatalf("field of the wrong type: %v\n%s", err, r.Body)
	}
	for i, a := range as {
		for k := range raw[i] {
			if k != "labels" && k != "annotations" && k != "startsAt" && k != "endsAt" && k != "generatorURL" {
				t.Errorf("alert %d: unknown field %q", i, k)
			}
		}
		if len(a.Labels) == 0 || a.Labels["alertname"] == "" {
			t.Errorf("alert %d: labels %v, want a set with alertname", i, a.Labels)
		}
		for k, v := range a.Labels {
			if !labelName.MatchString(k) || v == "" {
				t.Errorf("alert %d: label %q=%q is invalid", i, k, v)
			}
		}
		if u, err := url.Parse(a.GeneratorURL); a.GeneratorURL != "" && (err != nil || !u.IsAbs()) {
			t.Errorf("alert %d: generatorURL %q is not a URI", i, a.GeneratorURL)
		}
	}
	return as
}

func newNotifier(t *testing.T, base string, sleeps *notifytest.Sleeps) *alertmanager.Notifier {
	t.Helper()
	n, err := alertmanager.New(alertmanager.Config{
		Name: "am", URL: base + "/", Now: func() time.Time { return now }, Retry: notify.Policy{Sleep: sleeps.Sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFiringThenResolved(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t)
	var sleeps notifytest.Sleeps
	n := newNotifier(t, rcv.URL, &sleeps)
	resolved := firing()
	resolved.Status = alert.StatusResolved
	for _, a := range []alert.Alert{firing(), resolved} {
		if res := n.Notify(t.Context(), []alert.Alert{a}); !res.OK || res.Attempts != 1 || res.Type != "alertmanager" {
			t.Fatalf("Result = %+v", res)
		}
	}
	reqs := rcv.Requests()
	fire, res := decode(t, reqs[0]), decode(t, reqs[1])
	if len(fire) != 1 || len(res) != 1 {
		t.Fatalf("got %d and %d alerts, want one each", len(fire), len(res))
	}
	f, r := fire[0], res[0]
	want := map[string]string{"alertname": "TaskFailed", "pipeline": "orders_daily", "env": "prod", "severity": "critical", "task_name": "load"}
	if !maps.Equal(f.Labels, want) || !maps.Equal(r.Labels, want) {
		t.Errorf("labels %v and %v, want both %v: Alertmanager matches a resolve by its labels", f.Labels, r.Labels, want)
	}
	if f.EndsAt != nil || r.EndsAt == nil || !r.EndsAt.Equal(now) {
		t.Errorf("endsAt = %v then %v, want none while firing and now once resolved", f.EndsAt, r.EndsAt)
	}
	if f.StartsAt == nil || !f.StartsAt.Equal(firing().StartsAt) || f.GeneratorURL != firing().RunURL {
		t.Errorf("startsAt %v, generatorURL %q", f.StartsAt, f.GeneratorURL)
	}
	wantAnn := map[string]string{
		"summary": "load failed", "description": "FATAL: too many connections",
		"runbook_url": firing().RunbookURL, "gantry_fingerprint": "fp-orders-load",
	}
	if !maps.Equal(f.Annotations, wantAnn) {
		t.Errorf("annotations = %v, want %v", f.Annotations, wantAnn)
	}
}

func TestGroupIsOneArrayAndTestFireIsLabelled(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t)
	var sleeps notifytest.Sleeps
	a, b := firing(), firing()
	b.Labels = map[string]string{"pipeline": "billing"}
	b.Test = true
	newNotifier(t, rcv.URL, &sleeps).Notify(t.Context(), []alert.Alert{a, b})
	as := decode(t, rcv.Requests()[0])
	if len(as) != 2 {
		t.Fatalf("got %d alerts in one request, want 2", len(as))
	}
	if as[1].Labels["test"] != "true" || as[1].Labels["alertname"] != "GantryAlert" || as[1].Annotations["summary"] != "[TEST] load failed" {
		t.Errorf("test alert = %+v, want test=\"true\", a default alertname and [TEST]", as[1])
	}
	if _, ok := as[0].Labels["test"]; ok {
		t.Error("a real alert is labelled test")
	}
}

func TestRetries5xxNot400(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		replies  []notifytest.Reply
		ok       bool
		attempts int
		waits    int
	}{
		{[]notifytest.Reply{{Status: 500}, {Status: 503}, {Status: 200}}, true, 3, 2},
		{[]notifytest.Reply{{Status: 400, Body: `{"code":400,"message":"invalid label set"}`}}, false, 1, 0},
	} {
		t.Run(fmt.Sprint(tc.replies[0].Status), func(t *testing.T) {
			t.Parallel()
			rcv := notifytest.NewReceiver(t, tc.replies...)
			var sleeps notifytest.Sleeps
			res := newNotifier(t, rcv.URL, &sleeps).Notify(t.Context(), []alert.Alert{firing()})
			if res.OK != tc.ok || res.Attempts != tc.attempts || len(sleeps.Waits()) != tc.waits {
				t.Errorf("Result = %+v, waits %v", res, sleeps.Waits())
			}
		})
	}
}
