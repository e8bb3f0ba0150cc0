package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

// formPage is one dashboard page as a signed-in browser gets it.
type formPage struct {
	status   int
	body     string
	location string
}

// dashboard is a browser's session on a served dashboard, without the
// browser: a cookie and the page's CSRF token.
type dashboard struct {
	t     *testing.T
	base  string
	token string
	csrf  string
}

func (d *dashboard) do(method, path string, form url.Values) formPage {
	d.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", d.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, d.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "gantry_token", Value: d.token})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := formPage{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
	if m := regexp.MustCompile(`<meta name="gantry-csrf" content="([0-9a-f]+)">`).FindStringSubmatch(p.body); m != nil {
		d.csrf = m[1]
	}
	return p
}

// The run page's cancel button and the alerts page's silence buttons
// change what the API says, through a served dashboard.
func TestDashboardCancelAndSilences(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: ui-forms\n")
	writeFile(t, filepath.Join(dir, "pipelines", "slow.yaml"), "pipeline: slow\ntasks:\n  - id: wait\n    run: sleep 60\n")
	s := serve(t, dir, nil)
	admin := s.adminToken()
	r := s.as(admin).must("trigger", "slow")
	m := regexp.MustCompile(`run (\d+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no run in %q", r.stdout)
	}
	runPath := "/runs/" + m[1]
	waitFor(t, 30*time.Second, "the run to start", func() bool {
		var v api.RunView
		return s.getJSON("/api/v1"+runPath, admin, &v) == 200 && v.State == "running"
	})
	d := &dashboard{t: t, base: s.url, token: admin}
	if p := d.do("GET", runPath, nil); p.status != 200 || !strings.Contains(p.body, `id="cancel"`) || !strings.Contains(p.body, `data-refresh="5"`) {
		t.Fatalf("the running run's page: %d, no cancel button or refresh:\n%s", p.status, p.body)
	}
	if p := d.do("POST", runPath+"/cancel", url.Values{}); p.status != 303 || !strings.HasPrefix(p.location, runPath+"?done=") {
		t.Fatalf("cancel: %d to %q\n%s", p.status, p.location, p.body)
	}
	waitFor(t, 30*time.Second, "the run to be cancelled", func() bool {
		var v api.RunView
		return s.getJSON("/api/v1"+runPath, admin, &v) == 200 && v.State == "cancelled"
	})
	if p := d.do("POST", runPath+"/cancel", url.Values{}); p.status != 409 || strings.Contains(p.body, "goroutine") {
		t.Errorf("cancelling a cancelled run: %d, want the API's 409\n%s", p.status, p.body)
	}

	// A silence: bad matchers are refused saying where; good ones are
	// added, listed, and expired.
	d.do("GET", "/alerts", nil)
	if p := d.do("POST", "/alerts/silences", url.Values{"matchers": {"pipeline"}, "duration": {"2h"}, "reason": {"x"}}); p.status != 400 || !strings.Contains(p.body, "matchers, line 1") {
		t.Errorf("a bad matcher: %d\n%s", p.status, p.body)
	}
	p := d.do("POST", "/alerts/silences", url.Values{"matchers": {"pipeline=slow\nalertname=~Run.*"}, "duration": {"2h"}, "reason": {"maintenance <b>window</b>"}})
	if p.status != 303 || !strings.HasPrefix(p.location, "/alerts") {
		t.Fatalf("add a silence: %d to %q\n%s", p.status, p.location, p.body)
	}
	p = d.do("GET", "/alerts", nil)
	if !strings.Contains(p.body, "maintenance &lt;b&gt;window&lt;/b&gt;") || !strings.Contains(p.body, "alertname=~Run.*") {
		t.Fatalf("the silence is not listed:\n%s", p.body)
	}
	id := regexp.MustCompile(`action="/alerts/silences/(\d+)/expire"`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatal("no expire button")
	}
	if p := d.do("POST", fmt.Sprintf("/alerts/silences/%s/expire", id[1]), url.Values{}); p.status != 303 {
		t.Fatalf("expire: %d\n%s", p.status, p.body)
	}
	if p := d.do("GET", "/alerts", nil); strings.Contains(p.body, "maintenance &lt;b&gt;") {
		t.Error("an expired silence is still listed as active")
	}
}

// A deployment's page shows what it changed when it was made — against
// the revision it replaced, as changed lines — not against what runs
// now; a test-fire's outcome is shown on the section it lands on; a path
// with no page is an HTML 404 (the API's paths keep their JSON); only the
// page assets are served; and signing out needs the page's CSRF token.
func TestDashboardDeploymentDiffsAndEdges(t *testing.T) {
	t.Parallel()
	const hookSecret = "whsec-ui-edges-3"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	hsrv := httptest.NewServer(rcv)
	defer hsrv.Close()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hsrv.URL, 1))
	replaceIn(t, filepath.Join(dir, "pipelines", "ingest.yaml"), "schedule:\n  cron: \"0 1 * * *\"\n  timezone: Europe/Berlin\n", "")
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret})
	admin := s.adminToken()
	mustIn(t, dir, "deploy", "ingest", "--env", "staging", "--wait")
	replaceIn(t, filepath.Join(dir, "pipelines", "ingest.yaml"), "row_counts: {task: fetch, min: 100}", "row_counts: {task: fetch, min: 150}")
	mustIn(t, dir, "deploy", "ingest", "--env", "staging", "--wait")
	d := &dashboard{t: t, base: s.url, token: admin}

	first := d.do("GET", "/deployments/1", nil)
	if first.status != 200 || !strings.Contains(first.body, "new pipeline") || !strings.Contains(first.body, "The first deployment of ingest to staging") {
		t.Errorf("deployment 1 (the first, now superseded): %d, want it to show a new pipeline:\n%s", first.status, first.body)
	}
	second := d.do("GET", "/deployments/2", nil)
	for _, want := range []string{
		"the revision it replaced",
		`<span class="del">-  row_counts: {task: fetch, min: 100}</span>`,
		`<span class="add">&#43;  row_counts: {task: fetch, min: 150}</span>`,
		`<code>pipelines/ingest.yaml</code>`,
	} {
		if !strings.Contains(second.body, want) {
			t.Errorf("deployment 2 (active) does not show %q:\n%s", want, second.body)
		}
	}
	if strings.Contains(second.body, "No change against") {
		t.Errorf("deployment 2 is compared with what runs now, not with what it replaced:\n%s", second.body)
	}

	d.do("GET", "/alerts", nil)
	fired := d.do("POST", "/alerts/test", url.Values{"route": {"data-oncall"}})
	if fired.status != 303 || !regexp.MustCompile(`^/alerts\?done=[^#]+#test-fires$`).MatchString(fired.location) {
		t.Errorf("a test-fire lands on %d %q, want /alerts?done=…#test-fires", fired.status, fired.location)
	}
	if p := d.do("GET", fired.location, nil); !strings.Contains(p.body, `id="flash"`) || !strings.Contains(p.body, "1 of 1 channels took it") {
		t.Errorf("the test-fire's outcome is not shown where it lands:\n%s", p.body)
	}

	for _, tc := range []struct {
		path, contentType, body string
		status                  int
	}{
		{"/nonexistent", "text/html", "There is no page at /nonexistent", 404},
		{"/pipelines/ingest/extra", "text/html", "There is no page at", 404},
		{"/api/v1/nope", "application/json", `"not_found"`, 404},
		{"/healthz", "", "", 200},
		{"/ui/assets/", "", "", 404},
		{"/ui/assets/layout.html", "", "", 404},
		{"/ui/assets/style.css", "text/css", "", 200},
		{"/ui/assets/live.js", "javascript", "", 200},
	} {
		for _, signedIn := range []bool{true, false} {
			req, _ := http.NewRequest("GET", s.url+tc.path, nil)
			if signedIn {
				req.AddCookie(&http.Cookie{Name: "gantry_token", Value: admin})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(b), tc.body) {
				t.Errorf("GET %s (signed in %v): %d %s %.200q, want %d %s with %q", tc.path, signedIn, resp.StatusCode,
					resp.Header.Get("Content-Type"), b, tc.status, tc.contentType, tc.body)
			}
		}
	}

	// Another site's form cannot sign the browser out.
	forged := url.Values{}
	req, _ := http.NewRequest("POST", s.url+"/logout", strings.NewReader(forged.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gantry_token", Value: admin})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Errorf("a sign-out without the CSRF token: %d, cookies %v; want 403 and the session kept", resp.StatusCode, resp.Cookies())
	}
	d.do("GET", "/", nil)
	out := d.do("POST", "/logout", url.Values{})
	if out.status != 303 || out.location != "/login" {
		t.Errorf("the page's own sign-out: %d %q, want 303 to /login", out.status, out.location)
	}
}

// The pipeline page's trigger (with params and a date), pause and resume,
// backfill (a preview, then the real one), the run page's replay of a
// dead letter and the deployment page's reject each change what the API
// says, through a served dashboard, and refuse bad input in words.
func TestDashboardPipelineButtons(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	const hookSecret = "whsec-ui-buttons-5"
	hsrv := httptest.NewServer(&hookReceiver{t: t, secret: hookSecret})
	defer hsrv.Close()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hsrv.URL, 1))
	writeFile(t, filepath.Join(dir, "pipelines", "flaky.yaml"), `pipeline: flaky
params:
  code: "3"
schedule: {cron: "0 */6 * * *", catchup: none}
tasks:
  - id: boom
    timeout: 60s
    run: exit {{ .Params.code }}
`)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret})
	admin := s.adminToken()
	d := &dashboard{t: t, base: s.url, token: admin}
	runState := func(path string) api.RunView {
		var v api.RunView
		if code := s.getJSON("/api/v1"+path, admin, &v); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		return v
	}

	d.do("GET", "/pipelines/flaky", nil)
	p := d.do("POST", "/pipelines/flaky/trigger", url.Values{"params": {"code=0"}, "date": {"2026-11-02"}})
	m := regexp.MustCompile(`^(/runs/\d+)\?done=`).FindStringSubmatch(p.location)
	if p.status != 303 || m == nil {
		t.Fatalf("trigger with params: %d %q", p.status, p.location)
	}
	waitFor(t, 30*time.Second, "the triggered run to succeed", func() bool { return runState(m[1]).State == "succeeded" })
	if v := runState(m[1]); v.Params["code"] != "0" || !strings.HasPrefix(v.IntervalStart.UTC().Format(time.DateOnly), "2026-11-0") {
		t.Errorf("the triggered run has params %v, interval %v", v.Params, v.IntervalStart)
	}
	if p := d.do("POST", "/pipelines/flaky/trigger", url.Values{"params": {"nosuch=1"}}); p.status != 400 || !strings.Contains(p.body, "nosuch") {
		t.Errorf("trigger with an unknown param: %d, want 400 naming it", p.status)
	}

	paused := func() bool {
		var l api.PipelineList
		s.getJSON("/api/v1/pipelines", admin, &l)
		for _, pl := range l.Pipelines {
			if pl.Name == "flaky" {
				return pl.Paused
			}
		}
		t.Fatal("no pipeline flaky")
		return false
	}
	if p := d.do("POST", "/pipelines/flaky/pause", url.Values{}); p.status != 303 || !paused() {
		t.Errorf("pause: %d, paused %v", p.status, paused())
	}
	if p := d.do("GET", "/pipelines/flaky", nil); !strings.Contains(p.body, "paused") {
		t.Error("the paused pipeline's page does not say so")
	}
	if p := d.do("POST", "/pipelines/flaky/resume", url.Values{}); p.status != 303 || paused() {
		t.Errorf("resume: %d, paused %v", p.status, paused())
	}

	preview := d.do("POST", "/pipelines/flaky/backfill", url.Values{"from": {"2026-11-01T00:00"}, "to": {"2026-11-01T12:00"}, "dry_run": {"1"}})
	if preview.status != 200 || !strings.Contains(preview.body, "2 run") {
		t.Errorf("backfill preview: %d, want 2 runs:\n%s", preview.status, preview.body)
	}
	var backfills struct{ Backfills []any }
	s.getJSON("/api/v1/backfills", admin, &backfills)
	if len(backfills.Backfills) != 0 {
		t.Errorf("the preview created a backfill: %v", backfills)
	}
	if p := d.do("POST", "/pipelines/flaky/backfill", url.Values{"from": {"2026-11-02"}, "to": {"2026-11-01"}}); p.status != 400 {
		t.Errorf("a backfill from after to: %d, want 400", p.status)
	}
	created := d.do("POST", "/pipelines/flaky/backfill", url.Values{"from": {"2026-11-01T00:00"}, "to": {"2026-11-01T12:00"}, "parallel": {"2"}})
	if created.status != 303 || !strings.Contains(created.location, "backfill+1+created%3A+2+runs") {
		t.Errorf("backfill: %d %q", created.status, created.location)
	}

	// A run that fails leaves a dead letter; its replay runs again.
	p = d.do("POST", "/pipelines/flaky/trigger", url.Values{})
	failedRun := regexp.MustCompile(`^(/runs/\d+)\?`).FindStringSubmatch(p.location)
	if failedRun == nil {
		t.Fatalf("trigger: %d %q", p.status, p.location)
	}
	var replay []string
	waitFor(t, 60*time.Second, "the failed run's page to offer a replay", func() bool {
		replay = regexp.MustCompile(`action="(/dead-letters/\d+/replay)"`).FindStringSubmatch(d.do("GET", failedRun[1], nil).body)
		return replay != nil
	})
	if p := d.do("POST", replay[1], url.Values{}); p.status != 303 || !strings.HasPrefix(p.location, failedRun[1]+"?done=") {
		t.Errorf("replay: %d %q", p.status, p.location)
	}
	var dl struct {
		DeadLetters []struct {
			ReplayedAt *time.Time `json:"replayed_at"`
		} `json:"dead_letters"`
	}
	waitFor(t, 30*time.Second, "the dead letter to be marked replayed", func() bool {
		s.getJSON("/api/v1/dead-letters?all=true", admin, &dl)
		// (The replay fails again, as the task does: a new dead letter.)
		return slices.ContainsFunc(dl.DeadLetters, func(d struct {
			ReplayedAt *time.Time `json:"replayed_at"`
		}) bool {
			return d.ReplayedAt != nil
		})
	})

	// A pending promotion, rejected from its page by an approver.
	mustIn(t, dir, "deploy", "orders", "--env", "staging", "--wait")
	mustIn(t, dir, "alerts", "test", "--route", "data-oncall")
	mustIn(t, dir, "promote", "orders", "--from", "staging", "--to", "prod")
	r := mustIn(t, dir, "token", "create", "--user", "bob", "--role", "approver")
	tok := regexp.MustCompile(`(?m)^(gantry_\S+)$`).FindStringSubmatch(r.stdout)
	if tok == nil {
		t.Fatalf("no token printed:\n%s", r)
	}
	bob := &dashboard{t: t, base: s.url, token: tok[1]}
	page := bob.do("GET", "/deployments/2", nil)
	if !strings.Contains(page.body, `id="reject"`) {
		t.Fatalf("the approver is offered no reject button:\n%s", page.body)
	}
	if p := bob.do("POST", "/deployments/2/reject", url.Values{"reason": {""}}); p.status != 400 {
		t.Errorf("a reject without a reason: %d, want 400", p.status)
	}
	if p := bob.do("POST", "/deployments/2/reject", url.Values{"reason": {"not this week"}}); p.status != 303 {
		t.Errorf("reject: %d %q", p.status, p.location)
	}
	var dv api.DeploymentView
	s.getJSON("/api/v1/deployments/2", admin, &dv)
	if dv.State != "rejected" {
		t.Errorf("after the reject, deployment 2 is %s", dv.State)
	}
	// Never active: it replaced nothing, and its page does not say it
	// was the first deployment there.
	if p := bob.do("GET", "/deployments/2", nil); !strings.Contains(p.body, "It never became active") || strings.Contains(p.body, "The first deployment") {
		t.Errorf("the rejected deployment's page:\n%s", p.body)
	}
}
