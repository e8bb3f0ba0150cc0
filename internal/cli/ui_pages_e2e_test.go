package cli_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gantryhq/gantry/internal/api"
)

// shots saves full-page screenshots of a browser test under its temp
// folder (or $GANTRY_UI_SCREENSHOTS, to keep them), numbered in order.
type shots struct {
	t   *testing.T
	dir string
	n   int
}

func newShots(t *testing.T) *shots {
	dir := t.TempDir()
	if keep := os.Getenv("GANTRY_UI_SCREENSHOTS"); keep != "" {
		dir = filepath.Join(keep, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &shots{t: t, dir: dir}
}

// take saves the page as it is now, as NN-name.png.
func (s *shots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.n++
	p := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot %s", p)
}

// signIn signs the browser in with token at the server's sign-in page
// and waits for the page it lands on.
func signIn(t *testing.T, ctx context.Context, base, token, waitFor string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SetValue(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(waitFor),
	); err != nil {
		t.Fatal(err)
	}
}

// dialogs fails the test when a page opens a JavaScript dialog: markup
// from a spec or a log that ran as script.
func dialogs(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil { // start the tab
		t.Fatal(err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, ev.Message)
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

const xssMark = `<script>alert(1)</script>`

const navPipeline = `pipeline: shop_orders
owner: data-team
description: "Orders of the shop <script>alert(1)</script>"
params:
  note: "<script>alert(1)</script>"
schedule: {cron: "0 2 * * *", timezone: UTC}
sla: {freshness: 26h, deadline: "06:00"}
produces: [warehouse.orders]
defaults:
  retries: {attempts: 1}
  timeout: 5m
  resources: {memory: 256Mi}
tasks:
  - id: extract
    run: echo extracted; echo "rows=1200" >> "$GANTRY_OUTPUT"
  - id: check
    needs: [extract]
    run: echo checked
  - id: load
    needs: [extract, check]
    run: |
      echo 'loading <script>alert(1)</script> now'
      echo "rows=1180" >> "$GANTRY_OUTPUT"
      echo 'note=<script>alert(1)</script>' >> "$GANTRY_OUTPUT"
runbook: runbooks/shop_orders.md
`

const navDownstream = `pipeline: shop_report
owner: analytics
schedule: {cron: "0 4 * * *", timezone: UTC, after: [shop_orders]}
consumes: [warehouse.orders]
tasks:
  - id: report
    run: echo report
`

// A new user's path through the dashboard in a real browser: sign in
// lands on the home page; a pipeline; a run; a DAG node; its log. Markup
// in a description, a param, a log and a task's figures shows as text and
// never runs.
func TestDashboardNavigationInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	opened := dialogs(t, ctx)
	shot := newShots(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: ui-nav\n")
	writeFile(t, filepath.Join(dir, "pipelines", "shop_orders.yaml"), navPipeline)
	writeFile(t, filepath.Join(dir, "pipelines", "shop_report.yaml"), navDownstream)
	writeFile(t, filepath.Join(dir, "runbooks", "shop_orders.md"), "# Shop orders\n\n## Failure: load\n\nRetry it.\n")
	s := serve(t, dir, nil)
	admin := s.adminToken()
	s.as(admin).must("trigger", "shop_orders")
	var runs api.RunList
	waitFor(t, 60*time.Second, "shop_orders' runs to succeed", func() bool {
		runs = api.RunList{}
		if s.getJSON("/api/v1/runs?pipeline=shop_orders", admin, &runs) != 200 || len(runs.Runs) < 2 {
			return false // the scheduled run of the latest interval, and the manual one
		}
		for _, r := range runs.Runs {
			if r.State != "succeeded" {
				return false
			}
		}
		return true
	})
	runID := runs.Runs[0].ID
	runPath := fmt.Sprintf("/runs/%d", runID)

	// Signing in lands on the home page, which lists both pipelines.
	signIn(t, ctx, s.url, admin, "#pipelines")
	if where := run(t, ctx, chromedp.Location()); where != s.url+"/" {
		t.Errorf("signing in landed on %s, want %s/", where, s.url)
	}
	home := run(t, ctx, chromedp.Text(chromedp.ID("pipelines")))
	for _, want := range []string{"shop_orders", "shop_report", "data-team", "succeeded", "100% of 2", "waiting upstream"} {
		if !strings.Contains(home, want) {
			t.Errorf("the home page lacks %q:\n%s", want, home)
		}
	}
	// The daily pipeline's data is fresh, or at risk in the hours before
	// its next interval ends (its age nears sla.freshness); today's SLA
	// is met, or pending until that interval ends: both by the clock.
	if !regexp.MustCompile(`shop_orders.*\t(fresh: |at risk: \d+h old)`).MatchString(home) ||
		!regexp.MustCompile(`shop_orders.*\t(met|pending: its interval ends)`).MatchString(home) {
		t.Errorf("the home page lacks shop_orders' freshness and today's SLA:\n%s", home)
	}
	shot.take(ctx, "home")

	// A pipeline: its grid, charts, neighbours and runbook.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#pipelines a[href="/pipelines/shop_orders"]`),
		chromedp.WaitVisible(chromedp.ID("grid")),
	); err != nil {
		t.Fatal(err)
	}
	grid := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#grid a.cell.succeeded').length`))
	if grid != 8 { // per run, its state and its three tasks
		t.Errorf("the run grid has %d succeeded cells, want 8", grid)
	}
	down := run(t, ctx, chromedp.Text(chromedp.ID("downstream")))
	if !strings.Contains(down, "shop_report") {
		t.Errorf("downstream: %q", down)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg#duration-chart, svg#rows-extract, svg#rows-load').length`)); n != 3 {
		t.Errorf("%d of the duration and row-count charts are drawn, want 3", n)
	}
	shot.take(ctx, "pipeline")

	// A run: the DAG, its nodes labelled with their state in words.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#grid thead a[href="`+runPath+`"]`),
		chromedp.WaitVisible(chromedp.ID("dag")),
	); err != nil {
		t.Fatal(err)
	}
	if labels := run(t, ctx, chromedp.TextContent(chromedp.ID("dag"))); strings.Count(labels, "succeeded") != 6 { // each node's title and label
		t.Errorf("the DAG's labels: %q, want three tasks labelled succeeded", labels)
	}
	shot.take(ctx, "run")

	// A node: its attempts, then the attempt's log.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#dag a.node[data-task="load"]`),
		chromedp.WaitVisible(chromedp.ID("task-load")),
	); err != nil {
		t.Fatal(err)
	}
	detail := run(t, ctx, chromedp.Text(chromedp.ID("task-load")))
	if !strings.Contains(detail, "attempt 1") || !strings.Contains(detail, "succeeded") {
		t.Errorf("the load node's panel: %q", detail)
	}
	shot.take(ctx, "dag-node")
	if err := chromedp.Do(ctx,
		chromedp.Click(`#task-load a.log`),
		chromedp.WaitVisible(chromedp.ID("log")),
	); err != nil {
		t.Fatal(err)
	}
	logText := run(t, ctx, chromedp.Text(chromedp.ID("log")))
	if !strings.Contains(logText, "loading "+xssMark+" now") {
		t.Errorf("the log shows %q, want the task's line as text", logText)
	}
	shot.take(ctx, "log")

	// Every page that shows the markup shows it as text.
	logPath := run(t, ctx, chromedp.Location())
	for _, path := range []string{s.url + "/", s.url + "/pipelines/shop_orders", s.url + runPath, logPath} {
		if err := chromedp.Do(ctx, chromedp.Navigate(path), chromedp.WaitReady("main")); err != nil {
			t.Fatal(err)
		}
		scripts := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.scripts).map(s => s.src)`))
		if len(scripts) != 1 || !strings.HasSuffix(scripts[0], "/ui/assets/live.js") {
			t.Errorf("%s has scripts %q, want only live.js", path, scripts)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/pipelines/shop_orders"), chromedp.WaitVisible(chromedp.ID("grid"))); err != nil {
		t.Fatal(err)
	}
	if desc := run(t, ctx, chromedp.Text("main > p")); !strings.Contains(desc, xssMark) {
		t.Errorf("the description shows %q, want the markup as text", desc)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+runPath), chromedp.WaitVisible(chromedp.ID("attempts"))); err != nil {
		t.Fatal(err)
	}
	if figs := run(t, ctx, chromedp.Text(chromedp.ID("attempts"))); !strings.Contains(figs, "note="+xssMark) {
		t.Errorf("the attempts' figures: %q, want the markup as text", figs)
	}
	if d := opened(); len(d) > 0 {
		t.Errorf("pages opened dialogs %q: markup ran as script", d)
	}
}

// The approval path in a browser, with a token per person: the author
// (alice) is offered no approve button and her forged POST is refused; a
// viewer's POST is 403 and changes nothing; the approver (bob) approves
// from the deployment's page and it becomes active.
func TestDashboardApprovalInBrowser(t *testing.T) {
	t.Parallel()
	shot := newShots(t)
	const hookSecret = "whsec-ui-approve-7"
	rcv := &hookReceiver{t: t, secret: hookSecret}
	hsrv := httptest.NewServer(rcv)
	defer hsrv.Close()
	hs := hsrv.URL
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(lifecycleProject, "%URL%", hs, 1))
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret}, "--env", "prod")
	admin := s.adminToken()
	tokens := s.tokens(admin, map[string]string{"alice": "admin", "bob": "approver", "vic": "viewer"})
	alice := s.as(tokens["alice"])
	alice.must("deploy", "orders", "--env", "staging", "-m", "orders pipeline", "--wait")
	alice.must("alerts", "test", "--route", "data-oncall")
	r := alice.must("promote", "orders", "--from", "staging", "--to", "prod")
	wantContains(t, "promote", r.stdout, "deployment 2 to prod: pending")
	state := func() string {
		var v api.DeploymentView
		if s.getJSON("/api/v1/deployments/2", admin, &v) != 200 {
			t.Fatal("GET deployment 2")
		}
		return string(v.State)
	}

	// The author: no approve button; a forged approve with her session's
	// own CSRF token is refused by the same rule as the API's.
	actx := browser(t)
	signIn(t, actx, s.url, tokens["alice"], "#pipelines")
	if err := chromedp.Do(actx, chromedp.Navigate(s.url+"/deployments/2"), chromedp.WaitVisible(chromedp.ID("no-approve"))); err != nil {
		t.Fatal(err)
	}
	if n := run(t, actx, chromedp.Evaluate[int](`document.querySelectorAll('#approve, #reject').length`)); n != 0 {
		t.Errorf("the author is offered %d approve/reject buttons", n)
	}
	if why := run(t, actx, chromedp.Text(chromedp.ID("no-approve"))); !strings.Contains(why, "You deployed this") {
		t.Errorf("the author is told %q", why)
	}
	shot.take(actx, "author-deployment")
	forged := post(t, actx, "/deployments/2/approve", true)
	if forged.Status != 403 || !strings.Contains(forged.Text, "another person must approve") {
		t.Errorf("the author's forged approve: %d %q, want 403 saying another person must approve", forged.Status, forged.Text)
	}
	noToken := post(t, actx, "/deployments/2/approve", false)
	if noToken.Status != 403 || !strings.Contains(noToken.Text, "CSRF") {
		t.Errorf("an approve without the CSRF token: %d %q, want 403", noToken.Status, noToken.Text)
	}
	if st := state(); st != "pending" {
		t.Fatalf("after the refused approvals deployment 2 is %s, want pending", st)
	}

	// A viewer: a POST is 403 and changes nothing.
	vctx := browser(t)
	signIn(t, vctx, s.url, tokens["vic"], "#pipelines")
	if n := run(t, vctx, chromedp.Evaluate[int](`document.querySelectorAll('main form').length`)); n != 1 { // the filters
		t.Errorf("a viewer's home page has %d forms, want only the filters", n)
	}
	for _, path := range []string{"/pipelines/orders/pause", "/deployments/2/approve", "/alerts/test"} {
		got := post(t, vctx, path, true)
		if got.Status != 403 || !strings.Contains(got.Text, "role viewer") {
			t.Errorf("a viewer's POST %s: %d %q, want 403 naming the role", path, got.Status, got.Text)
		}
	}
	var pipes api.PipelineList
	s.getJSON("/api/v1/pipelines", admin, &pipes)
	for _, p := range pipes.Pipelines {
		if p.Paused {
			t.Errorf("a viewer's refused POST paused %s", p.Name)
		}
	}
	if st := state(); st != "pending" {
		t.Fatalf("after a viewer's POST deployment 2 is %s, want pending", st)
	}

	// The approver: from the deployments page to the pending one, approve.
	bctx := browser(t)
	signIn(t, bctx, s.url, tokens["bob"], "#pipelines")
	if err := chromedp.Do(bctx,
		chromedp.Click(`header nav a[href="/deployments"]`),
		chromedp.WaitVisible(chromedp.ID("pending")),
	); err != nil {
		t.Fatal(err)
	}
	pending := run(t, bctx, chromedp.Text(chromedp.ID("pending")))
	if !strings.Contains(pending, "orders") || !strings.Contains(pending, "prod") || !regexp.MustCompile(`L[1-4]`).MatchString(pending) {
		t.Errorf("pending approvals: %q, want orders to prod with its risk class", pending)
	}
	shot.take(bctx, "deployments")
	if err := chromedp.Do(bctx,
		chromedp.Click(`#pending a.open`),
		chromedp.WaitVisible(chromedp.ID("approve")),
	); err != nil {
		t.Fatal(err)
	}
	staging := run(t, bctx, chromedp.Text(chromedp.ID("staging")))
	if !strings.Contains(staging, "succeeded") {
		t.Errorf("the staging run: %q", staging)
	}
	shot.take(bctx, "approver-deployment")
	if err := chromedp.Do(bctx,
		chromedp.SetValue(`input[name="comment"]`, "looks right"),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	); err != nil {
		t.Fatal(err)
	}
	if shown := run(t, bctx, chromedp.Text(chromedp.ID("deployment-state"))); shown != "active" {
		t.Errorf("after approving, the page shows %q, want active", shown)
	}
	if st := state(); st != "active" {
		t.Errorf("after approving, deployment 2 is %s, want active", st)
	}
	shot.take(bctx, "approved")
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/audit?action=approve"), chromedp.WaitVisible(chromedp.ID("audit"))); err != nil {
		t.Fatal(err)
	}
	if audit := run(t, bctx, chromedp.Text(chromedp.ID("audit"))); !strings.Contains(audit, "bob") || strings.Contains(audit, "deploy ") {
		t.Errorf("the audit log filtered by approve: %q", audit)
	}
	shot.take(bctx, "audit")
}

// posted is what a POST from the page's session got.
type posted struct {
	Status int    `json:"status"`
	Text   string `json:"text"`
}

// post sends a form POST to path from the browser's page, as a forged
// form would (with the session's CSRF token read off the page, or none).
func post(t *testing.T, ctx context.Context, path string, withToken bool) posted {
	t.Helper()
	token := "''"
	if withToken {
		token = `(document.querySelector('meta[name="gantry-csrf"]') || {content: ''}).content`
	}
	js := `(async () => {
		const body = new URLSearchParams({csrf: ` + token + `, comment: 'forged', reason: 'forged', route: 'data-oncall'});
		const r = await fetch('` + path + `', {method: 'POST', body, credentials: 'same-origin'});
		const html = await r.text();
		const doc = new DOMParser().parseFromString(html, 'text/html');
		const msg = doc.querySelector('#error-message');
		return {status: r.status, text: msg ? msg.textContent : html.slice(0, 300)};
	})()`
	return run(t, ctx, chromedp.Evaluate[posted](js, chromedp.EvalAwaitPromise))
}

// A test alert's link lands on the alerts page, signed in, which shows
// the test-fire and its delivery.
func TestTestAlertLinksInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	shot := newShots(t)
	const secret = "whsec-ui-test-fire"
	rcv := &hookReceiver{t: t, secret: secret}
	hsrv := httptest.NewServer(rcv)
	defer hsrv.Close()
	hs := hsrv.URL
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(alertsProject, "%URL%", hs, 1))
	writeFile(t, filepath.Join(dir, "pipelines", "flaky.yaml"), flakyPipeline)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + secret})
	s.as(s.adminToken()).must("alerts", "test", "--route", "oncall")
	waitFor(t, 30*time.Second, "the test alert", func() bool { return len(rcv.messages("GantryTestAlert")["test"]) > 0 })
	msg := rcv.messages("GantryTestAlert")["test"][0]
	links := []string{msg.RunURL, msg.RunbookURL}
	if msg.RunURL == "" {
		t.Fatalf("the test alert has no link: %+v", msg)
	}
	for i, link := range links {
		if link == "" {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		if i == 0 && strings.Contains(run(t, ctx, chromedp.Location()), "/login") {
			if err := chromedp.Do(ctx,
				chromedp.SetValue(chromedp.ID("token"), s.adminToken()),
				chromedp.Click(chromedp.ID("signin")),
				chromedp.WaitNotPresent(chromedp.ID("signin")),
			); err != nil {
				t.Fatal(err)
			}
		}
		if where := run(t, ctx, chromedp.Location()); where != link {
			t.Errorf("the link %s landed on %s", link, where)
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#error-message').length`)); n != 0 {
			t.Errorf("the link %s lands on an error page: %s", link, run(t, ctx, chromedp.Text("main")))
		}
	}
	fires := run(t, ctx, chromedp.Text(chromedp.ID("test-fire-list")))
	if !strings.Contains(fires, "oncall") || !strings.Contains(fires, "hook: delivered") {
		t.Errorf("the alerts page's test-fires: %q", fires)
	}
	shot.take(ctx, "alerts")
}
