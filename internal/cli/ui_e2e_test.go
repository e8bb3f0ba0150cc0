package cli_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium; without it the browser tests skip,
// except in CI, where they must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium: install Debian's chromium package (CI=true: browser tests may not skip)")
	}
	t.Skip("no Chromium installed (apt-get install chromium)")
	return ""
}

// browser is a headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

const runbookFlaky = `# Runbook: flaky

## First look

` + "```sh\ngantry runs --pipeline flaky\n```" + `

## Failure: the step exits 3

Look at the step's log, then trigger it again.

## Rollback

Roll back with gantry rollback flaky --env prod.
`

// The links in an alert open, in a real browser, the failed run and the
// runbook section for its failure mode, after signing in with a token.
func TestAlertLinksInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	const secret = "whsec-ui-3k"
	rcv := &hookReceiver{t: t, secret: secret}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(alertsProject, "%URL%", hs.URL, 1))
	writeFile(t, filepath.Join(dir, "pipelines", "flaky.yaml"), flakyPipeline+"runbook: runbooks/flaky.md\n")
	writeFile(t, filepath.Join(dir, "runbooks", "flaky.md"), runbookFlaky)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + secret})
	s.must("trigger", "flaky")
	waitFor(t, 60*time.Second, "the failure page", func() bool { return len(rcv.messages("RunFailed")["firing"]) > 0 })
	msg := rcv.messages("RunFailed")["firing"][0]
	if msg.RunURL == "" || !strings.HasSuffix(msg.RunbookURL, "/pipelines/flaky/runbook#task-failed") {
		t.Fatalf("links: run %q, runbook %q", msg.RunURL, msg.RunbookURL)
	}

	// Not signed in: the run link asks for a token, and a wrong one is refused.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(msg.RunURL),
		chromedp.WaitVisible(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	where := run(t, ctx, chromedp.Location())
	if !strings.Contains(where, "/login?next=") {
		t.Fatalf("an unsigned visit to the run is at %s, want the sign-in page", where)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("token"), "gantry_wrong"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(".error")),
	); err != nil {
		t.Fatal(err)
	}
	if refusal := run(t, ctx, chromedp.Text(chromedp.CSS(".error"))); !strings.Contains(refusal, "unknown or was revoked") {
		t.Fatalf("a wrong token: %q", refusal)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("token"), s.adminToken()),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("state")),
	); err != nil {
		t.Fatal(err)
	}
	where = run(t, ctx, chromedp.Location())
	state := run(t, ctx, chromedp.Text(chromedp.ID("state")))
	attempts := run(t, ctx, chromedp.Text(chromedp.ID("attempts")))
	if where != msg.RunURL || state != "failed" || strings.Count(attempts, "exit status 3") != 3 {
		t.Errorf("run page at %s: state %q, attempts:\n%s", where, state, attempts)
	}

	// Each attempt's log is a click away.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#attempts a.log")),
		chromedp.WaitVisible(chromedp.ID("log")),
	); err != nil {
		t.Fatal(err)
	}
	if logText := run(t, ctx, chromedp.Text(chromedp.ID("log"))); !strings.Contains(logText, "step failed") {
		t.Errorf("the attempt's log page shows %q, want the task's output", logText)
	}

	// The runbook link lands on the section for a failed task.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(msg.RunbookURL),
		chromedp.WaitVisible(chromedp.ID("failure-the-step-exits-3")),
	); err != nil {
		t.Fatal(err)
	}
	section := run(t, ctx, chromedp.Evaluate[string](`document.getElementById('task-failed').nextElementSibling.textContent`))
	if section != "Failure: the step exits 3" {
		t.Errorf("the task-failed anchor is on %q, want the failure section", section)
	}
	if top := run(t, ctx, chromedp.Evaluate[float64](`document.getElementById('task-failed').getBoundingClientRect().top`)); top < -1 || top > 600 {
		t.Errorf("the browser did not scroll to the section: its top is at %.0fpx", top)
	}
}

// run runs one browser action that returns a value.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A sign-in link whose next hides another origin behind a tab
// ("/%09/host", which a browser reads as "//host") leaves the browser on
// this server once signed in.
func TestSignInStaysOnTheServerInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<!doctype html><p id="pwned">another origin</p>`)
	}))
	defer evil.Close()
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: ui-next\n")
	s := serve(t, dir, nil)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/login?next=/%09/"+evilHost+"/runs/1"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SetValue(chromedp.ID("token"), s.adminToken()),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitNotPresent(chromedp.ID("signin")),
	); err != nil {
		t.Fatal(err)
	}
	where := run(t, ctx, chromedp.Location())
	if !strings.HasPrefix(where, s.url+"/") {
		t.Errorf("after signing in the browser is at %s, want a page of %s", where, s.url)
	}
}
