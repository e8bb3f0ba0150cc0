package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/slack"
)

func firing() alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-orders-load", Status: alert.StatusFiring,
		Labels:  map[string]string{"pipeline": "orders_daily", "env": "prod", "owner": "data-eng", "severity": "critical"},
		Summary: "load failed", Details: "psql: could not connect\nFATAL: too many connections",
		RunURL: "https://gantry.example/runs/42", RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
	}
}

// send delivers alerts to a receiver that answers as Slack does and
// returns the message after checking it against Slack's documented shape.
func send(t *testing.T, alerts ...alert.Alert) map[string]any {
	t.Helper()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Status: 200, Body: "ok"})
	n, err := slack.New(slack.Config{Name: "oncall", URL: alert.Secret(rcv.URL + "/services/T0/B0/xyz")})
	if err != nil {
		t.Fatal(err)
	}
	res := n.Notify(t.Context(), alerts)
	if !res.OK || res.Type != "slack" || res.Channel != "oncall" {
		t.Fatalf("Result = %+v", res)
	}
	r := rcv.Requests()[0]
	if r.Path != "/services/T0/B0/xyz" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s with %q, want a JSON POST to the webhook path", r.Path, r.Header.Get("Content-Type"))
	}
	var msg map[string]any
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatalf("body: %v", err)
	}
	for _, p := range slackProblems(msg) {
		t.Errorf("not a valid Slack message: %s", p)
	}
	return msg
}

// slackProblems checks the parts of Block Kit this notifier uses, with the
// limits Slack documents.
func slackProblems(msg map[string]any) []string {
	var ps []string
	bad := func(f string, a ...any) { ps = append(ps, fmt.Sprintf(f, a...)) }
	if s, _ := msg["text"].(string); s == "" {
		bad("text must be a non-empty string")
	}
	blocks, ok := msg["blocks"].([]any)
	if !ok || len(blocks) == 0 || len(blocks) > 50 {
		bad("blocks must be an array of 1..50 blocks, got %v", len(blocks))
	}
	textObj := func(where string, v any, typ string, maxLen int) {
		o, _ := v.(map[string]any)
		s, _ := o["text"].(string)
		if o["type"] != typ || s == "" || len([]rune(s)) > maxLen {
			bad("%s: want a %s text of 1..%d chars, got %v", where, typ, maxLen, v)
		}
	}
	for i, b := range blocks {
		b, _ := b.(map[string]any)
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		switch b["type"] {
		case "header":
			textObj(where, b["text"], "plain_text", 150)
		case "section":
			fields, hasFields := b["fields"].([]any)
			if b["text"] == nil && !hasFields {
				bad("%s: needs text or fields", where)
			}
			if b["text"] != nil {
				textObj(where, b["text"], "mrkdwn", 3000)
			}
			if len(fields) > 10 {
				bad("%s: %d fields, max 10", where, len(fields))
			}
			for _, f := range fields {
				textObj(where+" field", f, "mrkdwn", 2000)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				bad("%s: 1..25 elements", where)
			}
			for _, e := range els {
				e, _ := e.(map[string]any)
				url, _ := e["url"].(string)
				if e["type"] != "button" || !strings.HasPrefix(url, "https://") {
					bad("%s: want a button with a url, got %v", where, e)
				}
				textObj(where+" button", e["text"], "plain_text", 75)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				bad("%s: 1..10 elements", where)
			}
		case "divider":
		default:
			bad("%s: unexpected block type", where)
		}
	}
	return ps
}

func blockOf(msg map[string]any, typ string, nth int) map[string]any {
	for _, b := range msg["blocks"].([]any) {
		if b := b.(map[string]any); b["type"] == typ {
			if nth == 0 {
				return b
			}
			nth--
		}
	}
	return nil
}

func TestMessageReadsWhatBroke(t *testing.T) {
	t.Parallel()
	msg := send(t, firing())
	header := blockOf(msg, "header", 0)["text"].(map[string]any)["text"]
	if header != "[FIRING] orders_daily (prod): load failed" {
		t.Errorf("header = %q", header)
	}
	fields, _ := json.Marshal(blockOf(msg, "section", 0)["fields"])
	for _, want := range []string{`*Pipeline*\norders_daily`, `*Env*\nprod`, `*Owner*\ndata-eng`, `*Severity*\ncritical`} {
		if !strings.Contains(string(fields), want) {
			t.Errorf("fields %s lack %s", fields, want)
		}
	}
	details := blockOf(msg, "section", 1)["text"].(map[string]any)["text"].(string)
	if details != "```\npsql: could not connect\nFATAL: too many connections\n```" {
		t.Errorf("details = %q, want the error lines in a code block", details)
	}
	buttons, _ := json.Marshal(blockOf(msg, "actions", 0))
	for _, want := range []string{firing().RunURL, firing().RunbookURL} {
		if !strings.Contains(string(buttons), want) {
			t.Errorf("actions %s lack a link to %s", buttons, want)
		}
	}
}

func TestResolvedAndTestFireAreMarked(t *testing.T) {
	t.Parallel()
	resolved := firing()
	resolved.Status = alert.StatusResolved
	test := firing()
	test.Test = true
	for _, tc := range []struct {
		a    alert.Alert
		want string
	}{{resolved, "[RESOLVED] "}, {test, "[TEST] [FIRING] "}} {
		msg := send(t, tc.a)
		header := blockOf(msg, "header", 0)["text"].(map[string]any)["text"].(string)
		if !strings.HasPrefix(header, tc.want) || !strings.HasPrefix(msg["text"].(string), tc.want) {
			t.Errorf("header %q, text %q; want both to start with %q", header, msg["text"], tc.want)
		}
	}
	if ctx := blockOf(send(t, test), "context", 0); ctx == nil || !strings.Contains(fmt.Sprint(ctx), "test alert") {
		t.Errorf("test-fire lacks the 'this is a test' note: %v", ctx)
	}
}

func TestLongOutputAndBigGroupsFitSlackLimits(t *testing.T) {
	t.Parallel()
	a := firing()
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "line %d of noisy output\n", i)
	}
	b.WriteString("FATAL: the real error")
	a.Details = b.String()
	a.Summary = strings.Repeat("very long summary ", 20)
	group := make([]alert.Alert, 20)
	for i := range group {
		group[i] = a
	}
	msg := send(t, group...) // slackProblems checks every limit
	details := blockOf(msg, "section", 1)["text"].(map[string]any)["text"].(string)
	if !strings.Contains(details, "FATAL: the real error") || strings.Contains(details, "line 0 of") {
		t.Errorf("details keep the wrong end of the output: %.200q…", details)
	}
	last := blockOf(msg, "context", 0)
	if !strings.Contains(fmt.Sprint(last), "and 12 more alerts") {
		t.Errorf("closing context = %v, want the alerts left out counted", last)
	}
}

func TestMrkdwnIsEscaped(t *testing.T) {
	t.Parallel()
	a := firing()
	a.Details = "<!channel> ``` & done"
	msg := send(t, a)
	details := blockOf(msg, "section", 1)["text"].(map[string]any)["text"].(string)
	if details != "```\n&lt;!channel&gt; ''' &amp; done\n```" {
		t.Errorf("details = %q, want control characters escaped", details)
	}
}

func TestWebhookURLNeverInResult(t *testing.T) {
	t.Parallel()
	const token = "XXXXsecretTOKEN"
	var sleeps notifytest.Sleeps
	n, err := slack.New(slack.Config{
		URL:   alert.Secret("http://" + notifytest.ClosedAddr(t) + "/services/T0/B0/" + token),
		Retry: notify.Policy{Sleep: sleeps.Sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := n.Notify(t.Context(), []alert.Alert{firing()})
	if res.OK || res.Attempts != 3 || !res.Retryable || strings.Contains(res.Err, token) {
		t.Errorf("Result = %+v, want 3 failed attempts and no token in the error", res)
	}
	if got := fmt.Sprintf("%v %+v", slack.Config{URL: "https://hooks.slack.com/services/" + token}, res); strings.Contains(got, token) {
		t.Errorf("printing the config reveals the URL: %s", got)
	}
}

func TestRetriesRateLimitNotInvalidPayload(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		replies  []notifytest.Reply
		ok       bool
		attempts int
	}{
		{"rate limited then accepted", []notifytest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}}, {Status: 200, Body: "ok"}}, true, 2},
		{"invalid_payload is final", []notifytest.Reply{{Status: 400, Body: "invalid_payload"}}, false, 1},
		{"no_service is final", []notifytest.Reply{{Status: 404, Body: "no_service"}}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := notifytest.NewReceiver(t, tc.replies...)
			var sleeps notifytest.Sleeps
			n, _ := slack.New(slack.Config{URL: alert.Secret(rcv.URL), Retry: notify.Policy{Sleep: sleeps.Sleep}})
			res := n.Notify(t.Context(), []alert.Alert{firing()})
			if res.OK != tc.ok || res.Attempts != tc.attempts || len(rcv.Requests()) != tc.attempts {
				t.Errorf("Result = %+v, want ok=%v after %d attempts", res, tc.ok, tc.attempts)
			}
		})
	}
}
