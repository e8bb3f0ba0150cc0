package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
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
