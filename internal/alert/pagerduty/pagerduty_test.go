package pagerduty_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/pagerduty"
)

const routingKey = "R0UT1NGKEY0123456789abcdefABCDEF"

var accepted = notifytest.Reply{Status: 202, Body: `{"status":"success","message":"Event processed","dedup_key":"fp"}`}

func firing() alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-orders-load", Status: alert.StatusFiring,
		Labels:  map[string]string{"pipeline": "orders_daily", "env": "prod", "severity": "critical", "alertname": "TaskFailed", "task": "load"},
		Summary: "load failed", Details: "FATAL: too many connections",
		RunURL: "https://gantry.example/runs/42", RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
	}
}

func newNotifier(t *testing.T, base string) *pagerduty.Notifier {
	t.Helper()
	var sleeps notifytest.Sleeps
	n, err := pagerduty.New(pagerduty.Config{Name: "pd", RoutingKey: routingKey, BaseURL: base, Retry: notify.Policy{Sleep: sleeps.Sleep}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// eventProblems checks an Events API v2 request the way the API documents
// it: required fields, their types and allowed values.
func eventProblems(r notifytest.Request) (map[string]any, []string) {
	var ps []string
	bad := func(f string, a ...any) { ps = append(ps, fmt.Sprintf(f, a...)) }
	if r.Path != "/v2/enqueue" || r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
		bad("want a JSON POST to /v2/enqueue, got %s %s %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	var e map[string]any
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return nil, append(ps, "body: "+err.Error())
	}
	if e["routing_key"] != routingKey {
		bad("routing_key = %v", e["routing_key"])
	}
	key, _ := e["dedup_key"].(string)
	if key == "" || len(key) > 255 {
		bad("dedup_key = %v, want a string of 1..255", e["dedup_key"])
	}
	switch e["event_action"] {
	case "resolve", "acknowledge":
	case "trigger":
		p, _ := e["payload"].(map[string]any)
		summary, _ := p["summary"].(string)
		source, _ := p["source"].(string)
		if summary == "" || utf8.RuneCountInString(summary) > 1024 || source == "" {
			bad("payload needs summary (1..1024) and source: %v", p)
		}
		if !slices.Contains([]string{"critical", "error", "warning", "info"}, fmt.Sprint(p["severity"])) {
			bad("payload.severity = %v", p["severity"])
		}
		if ts, ok := p["timestamp"].(string); ok {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				bad("payload.timestamp: %v", err)
			}
		}
		if _, ok := p["custom_details"].(map[string]any); !ok && p["custom_details"] != nil {
			bad("payload.custom_details must be an object")
		}
		links, _ := e["links"].([]any)
		for _, l := range links {
			l, _ := l.(map[string]any)
			if h, _ := l["href"].(string); h == "" {
				bad("link without href: %v", l)
			}
		}
	default:
		bad("event_action = %v", e["event_action"])
	}
	return e, ps
}

func checked(t *testing.T, r notifytest.Request) map[string]any {
	t.Helper()
	e, ps := eventProblems(r)
	for _, p := range ps {
		t.Errorf("not a valid event: %s", p)
	}
	return e
}

func TestTriggerThenResolveShareTheDedupKey(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, accepted)
	n := newNotifier(t, rcv.URL)
	resolved := firing()
	resolved.Status = alert.StatusResolved
	for _, a := range []alert.Alert{firing(), resolved} {
		if res := n.Notify(t.Context(), []alert.Alert{a}); !res.OK || res.Status != 202 || res.Attempts != 1 {
			t.Fatalf("Result = %+v", res)
		}
	}
	reqs := rcv.Requests()
	trig, res := checked(t, reqs[0]), checked(t, reqs[1])
	if trig["event_action"] != "trigger" || res["event_action"] != "resolve" {
		t.Errorf("actions = %v, %v; want trigger then resolve", trig["event_action"], res["event_action"])
	}
	if trig["dedup_key"] != "fp-orders-load" || res["dedup_key"] != "fp-orders-load" {
		t.Errorf("dedup keys = %v, %v; want the fingerprint in both", trig["dedup_key"], res["dedup_key"])
	}
	p := trig["payload"].(map[string]any)
	cd := p["custom_details"].(map[string]any)
	if p["severity"] != "critical" || p["source"] != "orders_daily" || p["summary"] != "[FIRING] orders_daily (prod): load failed" ||
		cd["details"] != "FATAL: too many connections" || p["component"] != "load" || p["group"] != "prod" {
		t.Errorf("payload = %v", p)
	}
	links, _ := json.Marshal(trig["links"])
	if !strings.Contains(string(links), "/runs/42") || !strings.Contains(string(links), "#load-failed") {
		t.Errorf("links = %s, want the run and the runbook", links)
	}
}

func TestSummaryIsCutTo1024(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, accepted)
	a := firing()
	a.Summary = strings.Repeat("é", 3000)
	newNotifier(t, rcv.URL).Notify(t.Context(), []alert.Alert{a})
	checked(t, rcv.Requests()[0]) // fails on a summary over 1024
}

func TestTestFireIsMarked(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, accepted)
	a := firing()
	a.Test = true
	newNotifier(t, rcv.URL).Notify(t.Context(), []alert.Alert{a})
	p := checked(t, rcv.Requests()[0])["payload"].(map[string]any)
	if !strings.HasPrefix(p["summary"].(string), "[TEST] ") || p["custom_details"].(map[string]any)["test"] != true {
		t.Errorf("payload = %v, want [TEST] and test: true", p)
	}
}

func TestGroupResultAddsUpItsEvents(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Status: 503}, accepted,
		notifytest.Reply{Status: 400, Body: `{"status":"invalid event","errors":["'payload.source' is missing"]}`})
	other := firing()
	other.Fingerprint = "fp-other"
	res := newNotifier(t, rcv.URL).Notify(t.Context(), []alert.Alert{firing(), other})
	if res.OK || res.Attempts != 3 || res.Status != 400 || res.Retryable || !strings.HasPrefix(res.Err, "fp-other: HTTP 400") {
		t.Errorf("Result = %+v, want 2+1 attempts and the second event's rejection", res)
	}
	if res.Channel != "pd" || res.Type != "pagerduty" {
		t.Errorf("Result names %q/%q", res.Channel, res.Type)
	}
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]string{
		"critical": "critical", "P1": "critical", "page": "critical", "error": "error", "": "error",
		"high": "error", "warning": "warning", "warn": "warning", "info": "info", "low": "info",
	} {
		if got := pagerduty.Severity(label); got != want {
			t.Errorf("Severity(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := pagerduty.New(pagerduty.Config{}); err == nil {
		t.Error("New accepted a config without routing key")
	}
	if _, err := pagerduty.New(pagerduty.Config{RoutingKey: "k", BaseURL: "events.pagerduty.com"}); err == nil {
		t.Error("New accepted a base URL without scheme")
	}
}
