package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/webhook"
)

// hookReceiver is an on-call webhook endpoint: it verifies each
// delivery's signature and keeps the payloads.
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []webhook.Payload
	bad    []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := webhook.Verify([]byte(h.secret), r.Header.Get(webhook.HeaderTimestamp), body,
		r.Header.Get(webhook.HeaderSignature), time.Minute, time.Now())
	var p webhook.Payload
	if jerr := json.Unmarshal(body, &p); jerr != nil && err == nil {
		err = jerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.bad = append(h.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	h.got = append(h.got, p)
}

// messages returns the alerts that arrived with alertname name, by their
// status: "firing", "resolved", or "test" for a test-fire.
func (h *hookReceiver) messages(name string) map[string][]webhook.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]webhook.Message{}
	for _, p := range h.got {
		for _, m := range p.Alerts {
			if m.Labels["alertname"] != name {
				continue
			}
			k := m.Status
			if p.Test || m.Test {
				k = "test"
			}
			out[k] = append(out[k], m)
		}
	}
	if len(h.bad) > 0 {
		h.t.Errorf("deliveries with a bad signature or body: %v", h.bad)
	}
	return out
}

const alertsProject = `project: alerts-e2e
alerts:
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 24h
  channels:
    hook: {type: webhook, url: "%URL%", secret: hook_key}
  routes:
    oncall: {channels: [hook]}
`

const flakyPipeline = `pipeline: flaky
owner: data-team
alerts: {route: oncall}
defaults:
  retries: {attempts: 3, backoff: constant, initial: 1s}
tasks:
  - id: step
    run: |
      test -f ok.marker || { echo "step failed"; exit 3; }
`

// A task failing through 3 attempts pages once, signed; the next success
// sends the resolve; a silenced failure sends nothing; a test-fire reaches
// the channel marked as a test. All through a real server and the CLI.
func TestAlertsEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "whsec-e2e-Zq81"
	rcv := &hookReceiver{t: t, secret: secret}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(alertsProject, "%URL%", hs.URL, 1))
	writeFile(t, filepath.Join(dir, "pipelines", "flaky.yaml"), flakyPipeline)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + secret})

	// Three failed attempts, one page.
	s.must("trigger", "flaky")
	failed := func(status string) int { return len(rcv.messages("RunFailed")[status]) }
	waitFor(t, 60*time.Second, "the failure page", func() bool { return failed("firing") >= 1 })
	r := s.must("alerts", "list")
	wantContains(t, "alerts list", r.stdout, "RunFailed", "flaky", "firing", "DeadLettersPending")
	a := rcv.messages("RunFailed")["firing"][0]
	if a.Labels["pipeline"] != "flaky" || a.Labels["owner"] != "data-team" || a.Labels["alertname"] != "RunFailed" {
		t.Errorf("labels = %v", a.Labels)
	}
	if !strings.Contains(a.RunURL, s.url+"/runs/") {
		t.Errorf("run link = %q, want one to the server", a.RunURL)
	}

	// The next success resolves it, and the resolve is sent.
	writeFile(t, filepath.Join(dir, "ok.marker"), "")
	s.must("trigger", "flaky")
	waitFor(t, 60*time.Second, "the resolve", func() bool { return failed("resolved") >= 1 })
	if n := failed("firing"); n != 1 {
		t.Errorf("%d firing notifications for one failure with 3 attempts, want 1", n)
	}
	r = s.must("alerts", "list", "--state", "all")
	wantContains(t, "alerts list --state all", r.stdout, "resolved")
	id := ""
	for _, l := range lines(r.stdout) {
		if f := strings.Fields(l); len(f) > 2 && f[2] == "RunFailed" {
			id = f[0]
		}
	}
	r = s.must("alerts", "show", id)
	wantContains(t, "alerts show", r.stdout, "fingerprint", "pipeline: flaky", "hook", "firing", "resolved")

	// A silenced failure fires, is recorded, and sends nothing.
	s.must("silence", "add", "--match", "pipeline=flaky", "--duration", "1h", "--reason", "planned maintenance")
	r = s.must("silence", "list")
	wantContains(t, "silence list", r.stdout, `pipeline="flaky"`, "planned maintenance")
	if err := os.Remove(filepath.Join(dir, "ok.marker")); err != nil {
		t.Fatal(err)
	}
	s.must("trigger", "flaky")
	waitFor(t, 60*time.Second, "the silenced alert to fire", func() bool {
		r := s.must("alerts", "list")
		return strings.Contains(r.stdout, "RunFailed")
	})
	r = s.must("alerts", "show", id)
	wantContains(t, "alerts show of a silenced alert", r.stdout, "silenced by  silence 1")
	// group_wait and group_interval are 1s: give a wrongly unsilenced
	// notification three times that to arrive.
	time.Sleep(3 * time.Second)
	if n := failed("firing"); n != 1 {
		t.Errorf("a silenced failure was sent: %d firing notifications, want still 1", n)
	}

	// A test-fire goes through every channel of the route, marked.
	r = s.must("alerts", "test", "--route", "oncall")
	wantContains(t, "alerts test", r.stdout, "hook", "every channel took the test alert")
	if n := len(rcv.messages("GantryTestAlert")["test"]); n != 1 {
		t.Errorf("%d test notifications, want 1", n)
	}
	r = s.gantry("alerts", "test", "--route", "nope")
	wantCode(t, r, 2)
	wantContains(t, "alerts test of an unknown route", r.stderr, "nope")
}
