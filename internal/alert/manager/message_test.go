package manager_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/email/smtptest"
	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// What an on-call person reads in Slack and in the e-mail: the pipeline,
// the environment, what broke, the last lines of its log, and links to
// the run and to the runbook section for a failed task.
func TestSlackAndEmailSayWhatBroke(t *testing.T) {
	t.Parallel()
	slk := notifytest.NewReceiver(t, notifytest.Reply{Body: "ok"})
	mail := smtptest.NewServer(t, smtptest.Options{Users: map[string]string{"gantry": "mail-pw-7"}})
	p := &spec.Project{
		Environments: []spec.ProjectEnvironment{{Name: "prod", Production: true}},
		Alerts: spec.ProjectAlerts{
			Channels: []spec.Channel{
				{Name: "slack", Type: "slack", URLSecret: "slack_url"},
				{Name: "mail", Type: "email", URL: "smtp://gantry@" + mail.Addr + "?from=gantry@example.com", Secret: "smtp_pw", To: []string{"oncall@example.com"}},
			},
			Routes: []spec.Route{{Name: "oncall", Channels: []string{"slack", "mail"}}},
		},
	}
	h := newHarness(t, p, manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	h.secrets["slack_url"] = slk.URL + "/services/T0/B0/abc"
	h.secrets["smtp_pw"] = "mail-pw-7"
	h.mailTLS = &tls.Config{RootCAs: mail.RootCAs, ServerName: "127.0.0.1"}
	h.m = h.newManager()

	log := filepath.Join(t.TempDir(), "load.1.log")
	if err := os.WriteFile(log, []byte("loading 1200 rows\nERROR: relation \"orders_2026\" does not exist\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("orders", "prod", record.RunFailed, t0, t0.Add(time.Minute),
		att{task: "load", state: record.TaskFailed, err: "exit status 3", logPath: log})
	h.at(time.Minute)
	h.at(2 * time.Minute)

	// The failed run and its dead letter are two alerts, in two groups.
	var body string
	for _, req := range slk.Requests() {
		if strings.Contains(string(req.Body), "#task-failed") {
			body = string(req.Body)
		}
	}
	if body == "" {
		t.Fatalf("no Slack message links to the runbook's task-failed section: %+v", slk.Requests())
	}
	for _, want := range []string{
		"orders", "prod", "load", "exit status 3", `relation \"orders_2026\" does not exist`,
		"https://gantry.example/runs/" + strconv.FormatInt(r.ID, 10), "https://gantry.example/pipelines/orders/runbook#task-failed",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the Slack message lacks %q:\n%s", want, body)
		}
	}
	var data string
	for _, m := range mail.Messages() {
		if !m.Accepted || !m.TLS || m.User != "gantry" || len(m.To) != 1 || m.To[0] != "oncall@example.com" {
			t.Errorf("mail: %+v", m)
		}
		if strings.Contains(string(m.Data), "#task-failed") {
			data = string(m.Data)
		}
	}
	if data == "" {
		t.Fatalf("no e-mail about the failed run among %d", len(mail.Messages()))
	}
	for _, want := range []string{"Subject: [FIRING] orders (prod): task load failed", "Owner:    data-eng",
		`ERROR: relation "orders_2026" does not exist`, "/runs/" + strconv.FormatInt(r.ID, 10)} {
		if !strings.Contains(data, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(data, "mail-pw-7") {
		t.Error("the e-mail holds the SMTP password")
	}
}
