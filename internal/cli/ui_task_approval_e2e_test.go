package cli_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An approval task decided on the dashboard's run page, in a real
// browser: the person who started the run is told why there is no
// button, and a forged approve from their page is refused by the API's
// rule; the approver sees what is approved (params, the build's figures)
// and approves; the run goes on and the audit log names the approver.
func TestRunApprovalInBrowser(t *testing.T) {
	t.Parallel()
	rs := newReleaseServer(t)
	s, admin := rs.s, rs.admin
	s.as(rs.tokens["alice"]).must("trigger", "orders")
	id := waitTask(t, s, admin, "approve_prod", "waiting_approval")
	runPath := fmt.Sprintf("/runs/%d", id)

	actx := browser(t)
	signIn(t, actx, s.url, rs.tokens["alice"], "#pipelines")
	if err := chromedp.Do(actx, chromedp.Navigate(s.url+runPath), chromedp.WaitVisible(chromedp.ID("approval-approve_prod"))); err != nil {
		t.Fatal(err)
	}
	if n := run(t, actx, chromedp.Evaluate[int](`document.querySelectorAll('#approve-task, #reject-task').length`)); n != 0 {
		t.Errorf("the run's starter is offered %d approve/reject buttons", n)
	}
	if why := run(t, actx, chromedp.Text(chromedp.ID("no-approve"))); !strings.Contains(why, "You started this run") {
		t.Errorf("the starter is told %q", why)
	}
	forged := post(t, actx, runPath+"/tasks/approve_prod/approve", true)
	if forged.Status != 403 || !strings.Contains(forged.Text, "another person must approve") {
		t.Errorf("the starter's forged approve: %d %q", forged.Status, forged.Text)
	}

	bctx := browser(t)
	signIn(t, bctx, s.url, rs.tokens["bob"], "#pipelines")
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+runPath), chromedp.WaitVisible(chromedp.ID("approve-task"))); err != nil {
		t.Fatal(err)
	}
	panel := run(t, bctx, chromedp.Text(chromedp.ID("approval-approve_prod")))
	for _, want := range []string{"waiting", "alice, bob, dave", "never from whoever started the run (alice)", "prod", "target=warehouse", "extract", "version=1.4.2", "digest=sha256:5f1d"} {
		if !strings.Contains(panel, want) {
			t.Errorf("the approval panel lacks %q:\n%s", want, panel)
		}
	}
	if err := chromedp.Do(bctx,
		chromedp.SetValue(`#approval-approve_prod input[name="comment"]`, "release notes read"),
		chromedp.Click(chromedp.ID("approve-task")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	); err != nil {
		t.Fatal(err)
	}
	if flash := run(t, bctx, chromedp.Text(chromedp.ID("flash"))); !strings.Contains(flash, "approve_prod approved") {
		t.Errorf("flash %q", flash)
	}
	done := s.waitRun(admin, "manual", 1)
	if done.State != "succeeded" {
		t.Errorf("the run after the approval: %s %s", done.State, done.Error)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/audit?action=task_approve"), chromedp.WaitVisible(chromedp.ID("audit"))); err != nil {
		t.Fatal(err)
	}
	if audit := run(t, bctx, chromedp.Text(chromedp.ID("audit"))); !strings.Contains(audit, "bob") || !strings.Contains(audit, "release notes read") {
		t.Errorf("the audit log filtered by task_approve: %q", audit)
	}
}
