package alert_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/alertmanager"
	"github.com/gantryhq/gantry/internal/alert/email"
	"github.com/gantryhq/gantry/internal/alert/email/smtptest"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/pagerduty"
	"github.com/gantryhq/gantry/internal/alert/slack"
	"github.com/gantryhq/gantry/internal/alert/webhook"
)

// canary is a secret value a task printed; it must reach no channel.
const canary = "CANARY-7f3a9c-s3cr3t"

func canaryAlert(status string) alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-canary", Status: status,
		Labels: map[string]string{
			"pipeline": "orders_daily", "env": "prod", "owner": "data-eng", "severity": "critical",
			"alertname": "TaskFailed", "task": "load " + canary,
		},
		Summary: "load failed: password " + canary + " rejected",
		Details: "connecting with PGPASSWORD=" + canary + "\nFATAL: password authentication failed (" + canary + ")",
		RunURL:  "https://gantry.example/runs/42?token=" + canary, RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), Test: status == alert.StatusFiring,
	}
}

// dump is everything a receiver got: path, headers and body.
func dump(reqs []notifytest.Request) []byte {
	var b bytes.Buffer
	for _, r := range reqs {
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
		_ = r.Header.Write(&b)
		b.Write(r.Body)
		b.WriteString("\n")
	}
	return b.Bytes()
}

// decodedMail adds each message's decoded subject and body to what the
// SMTP server saw on the wire, so an encoded canary is caught too.
func decodedMail(t *testing.T, srv *smtptest.Server) []byte {
	t.Helper()
	b := srv.Transcript()
	for _, m := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("decode mail body: %v", err)
		}
		b = append(append(append(b, subj...), '\n'), body...)
	}
	return b
}

func TestCanarySecretReachesNoChannel(t *testing.T) {
	t.Parallel()
	redact := []string{canary}
	hook, slk, pd, am := notifytest.NewReceiver(t), notifytest.NewReceiver(t, notifytest.Reply{Body: "ok"}),
		notifytest.NewReceiver(t, notifytest.Reply{Status: 202}), notifytest.NewReceiver(t)
	smtp := smtptest.NewServer(t, smtptest.Options{Users: map[string]string{"gantry": "mail-pw"}})

	must := func(n alert.Notifier, err error) alert.Notifier {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	notifiers := []alert.Notifier{
		must(webhook.New(webhook.Config{Name: "hook", URL: hook.URL, Secret: "whsec", Redact: redact})),
		must(slack.New(slack.Config{Name: "slack", URL: alert.Secret(slk.URL + "/services/T/B/x"), Redact: redact})),
		must(pagerduty.New(pagerduty.Config{Name: "pd", RoutingKey: "rk", BaseURL: pd.URL, Redact: redact})),
		must(alertmanager.New(alertmanager.Config{Name: "am", URL: am.URL, Redact: redact})),
		must(email.New(email.Config{
			Name: "mail", Addr: smtp.Addr, From: "gantry@example.com", To: []string{"oncall@example.com"},
			Username: "gantry", Password: "mail-pw", TLS: &tls.Config{RootCAs: smtp.RootCAs}, Redact: redact,
		})),
	}
	for _, status := range []string{alert.StatusFiring, alert.StatusResolved} {
		for _, n := range notifiers {
			res := n.Notify(t.Context(), []alert.Alert{canaryAlert(status)})
			if !res.OK || strings.Contains(fmt.Sprintf("%+v", res), canary) {
				t.Errorf("%s %s: Result = %+v", res.Channel, status, res)
			}
		}
	}

	for name, got := range map[string][]byte{
		"webhook": dump(hook.Requests()), "slack": dump(slk.Requests()), "pagerduty": dump(pd.Requests()),
		"alertmanager": dump(am.Requests()), "email": decodedMail(t, smtp),
	} {
		if bytes.Contains(got, []byte(canary)) {
			t.Errorf("%s received the canary secret:\n%s", name, got)
		}
		// The alert text did arrive, redacted, so the check above looked at it.
		if !bytes.Contains(got, []byte("redacted")) {
			t.Errorf("%s received no redacted text; did the alert arrive?\n%s", name, got)
		}
	}
}

// Without the canary in Redact, the same alert does carry it: the test
// above would notice a notifier that skipped redaction.
func TestCanaryIsVisibleWithoutRedaction(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t)
	n, err := webhook.New(webhook.Config{URL: rcv.URL, Secret: "whsec"})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(t.Context(), []alert.Alert{canaryAlert(alert.StatusFiring)})
	if !bytes.Contains(dump(rcv.Requests()), []byte(canary)) {
		t.Error("an unredacted alert did not carry the canary; the canary test proves nothing")
	}
}
