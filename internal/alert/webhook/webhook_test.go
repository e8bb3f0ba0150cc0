package webhook_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/webhook"
)

const secret = "whsec-test-key"

func firing() alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-orders-load", Status: alert.StatusFiring,
		Labels:  map[string]string{"pipeline": "orders_daily", "env": "prod", "severity": "critical", "alertname": "TaskFailed"},
		Summary: "load failed", Details: "psql: connection refused",
		RunURL: "https://gantry.example/runs/42", RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
	}
}

func newNotifier(t *testing.T, url string, sleeps *notifytest.Sleeps, now func() time.Time) *webhook.Notifier {
	t.Helper()
	n, err := webhook.New(webhook.Config{
		Name: "ops-hook", URL: url, Secret: secret, Now: now,
		Retry: notify.Policy{Sleep: sleeps.Sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifySendsSignedPayload(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t)
	var sleeps notifytest.Sleeps
	res := newNotifier(t, rcv.URL+"/hook", &sleeps, nil).Notify(t.Context(), []alert.Alert{firing()})
	if !res.OK || res.Attempts != 1 || res.Channel != "ops-hook" || res.Type != "webhook" || res.Status != 200 {
		t.Fatalf("Result = %+v, want one successful attempt", res)
	}
	reqs := rcv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
	}
	ts, sig := r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature)
	if err := webhook.Verify([]byte(secret), ts, r.Body, sig, 5*time.Minute, time.Now()); err != nil {
		t.Errorf("Verify: %v", err)
	}
	var p struct {
		Version string `json:"version"`
		Status  string `json:"status"`
		Test    *bool  `json:"test"`
		Alerts  []struct {
			Fingerprint string            `json:"fingerprint"`
			Status      string            `json:"status"`
			Labels      map[string]string `json:"labels"`
			Summary     string            `json:"summary"`
			Details     string            `json:"details"`
			RunURL      string            `json:"runURL"`
			RunbookURL  string            `json:"runbookURL"`
			StartsAt    time.Time         `json:"startsAt"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("body is not the documented JSON: %v\n%s", err, r.Body)
	}
	if p.Version != "1" || p.Status != "firing" || p.Test == nil || *p.Test || len(p.Alerts) != 1 {
		t.Fatalf("payload = %+v", p)
	}
	a := p.Alerts[0]
	if a.Fingerprint != "fp-orders-load" || a.Labels["pipeline"] != "orders_daily" || a.Details != "psql: connection refused" ||
		a.RunbookURL == "" || a.RunURL == "" || !a.StartsAt.Equal(firing().StartsAt) {
		t.Errorf("alert = %+v", a)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"version":"1"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := webhook.Sign([]byte(secret), ts, body)
	for _, tc := range []struct {
		name, secret, ts, sig string
		body                  []byte
		now                   time.Time
		want                  error
	}{
		{"valid", secret, ts, sig, body, now, nil},
		{"valid within skew", secret, ts, sig, body, now.Add(4 * time.Minute), nil},
		{"tampered body", secret, ts, sig, []byte(`{"version":"2"}`), now, webhook.ErrBadSignature},
		{"other secret", "not-the-secret", ts, sig, body, now, webhook.ErrBadSignature},
		{"timestamp swapped", secret, strconv.FormatInt(now.Unix()+1, 10), sig, body, now, webhook.ErrBadSignature},
		{"old timestamp (replay)", secret, ts, sig, body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"timestamp from the future", secret, ts, sig, body, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"no timestamp", secret, "", sig, body, now, webhook.ErrStale},
		{"no scheme prefix", secret, ts, sig[len("sha256="):], body, now, webhook.ErrBadSignature},
		{"not hex", secret, ts, "sha256=zz", body, now, webhook.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.Verify([]byte(tc.secret), tc.ts, tc.body, tc.sig, 5*time.Minute, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRetryIsSignedAfresh(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Status: 503}, notifytest.Reply{Status: 200})
	var mu sync.Mutex
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { // every signing is ten minutes after the previous one
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(10 * time.Minute)
		return clock
	}
	var sleeps notifytest.Sleeps
	res := newNotifier(t, rcv.URL, &sleeps, now).Notify(t.Context(), []alert.Alert{firing()})
	if !res.OK || res.Attempts != 2 || len(sleeps.Waits()) != 1 {
		t.Fatalf("Result = %+v, waits %v; want success on the second attempt", res, sleeps.Waits())
	}
	reqs := rcv.Requests()
	if reqs[0].Header.Get(webhook.HeaderTimestamp) == reqs[1].Header.Get(webhook.HeaderTimestamp) {
		t.Error("the retry reused the first attempt's timestamp")
	}
	last := reqs[1]
	sent := time.Unix(1_800_000_000, 0).Add(20 * time.Minute)
	if err := webhook.Verify([]byte(secret), last.Header.Get(webhook.HeaderTimestamp), last.Body,
		last.Header.Get(webhook.HeaderSignature), time.Minute, sent); err != nil {
		t.Errorf("retry does not verify at its own send time: %v", err)
	}
}

func TestNotifyDoesNotRetry400(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Status: 400, Body: "bad payload"})
	var sleeps notifytest.Sleeps
	res := newNotifier(t, rcv.URL, &sleeps, nil).Notify(t.Context(), []alert.Alert{firing()})
	if res.OK || res.Attempts != 1 || res.Retryable || res.Status != 400 || res.Err != "HTTP 400: bad payload" {
		t.Errorf("Result = %+v, want one rejected attempt", res)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]webhook.Config{
		"no secret":    {URL: "https://example.com/hook"},
		"relative url": {URL: "/hook", Secret: "s"},
		"ftp url":      {URL: "ftp://example.com/hook", Secret: "s"},
	} {
		if _, err := webhook.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
