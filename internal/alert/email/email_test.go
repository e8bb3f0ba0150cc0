package email_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/email"
	"github.com/gantryhq/gantry/internal/alert/email/smtptest"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
)

const password = "smtp-pa55word"

var users = map[string]string{"gantry": password}

func firing() alert.Alert {
	return alert.Alert{
		Fingerprint: "fp-orders-load", Status: alert.StatusFiring,
		Labels:  map[string]string{"pipeline": "orders_daily", "env": "prod", "owner": "data-eng", "severity": "critical"},
		Summary: "load failed", Details: "psql: could not connect\nFATAL: too many connections",
		RunURL: "https://gantry.example/runs/42", RunbookURL: "https://gantry.example/runbooks/orders#load-failed",
		StartsAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
	}
}

func config(srv *smtptest.Server, user string) email.Config {
	var sleeps notifytest.Sleeps
	return email.Config{
		Name: "oncall-mail", Addr: srv.Addr, From: "Gantry <gantry@example.com>", To: []string{"oncall@example.com", "lead@example.com"},
		Username: user, Password: password, TLS: &tls.Config{RootCAs: srv.RootCAs},
		Retry: notify.Policy{Sleep: sleeps.Sleep, Timeout: 5 * time.Second},
	}
}

func notifyWith(t *testing.T, cfg email.Config, alerts ...alert.Alert) alert.Result {
	t.Helper()
	n, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := n.Notify(t.Context(), alerts)
	if res.Channel != cfg.Name || res.Type != "email" {
		t.Errorf("Result names %q/%q", res.Channel, res.Type)
	}
	return res
}

// parsed is a received message with its parts decoded.
type parsed struct {
	header      mail.Header
	subject     string
	plain, html string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	var p parsed
	p.header = m.Header
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		if part.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part encoding %q", part.Header.Get("Content-Transfer-Encoding"))
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		text := strings.ReplaceAll(string(body), "\r\n", "\n") // lines travel as CRLF
		switch ct := part.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			p.plain = text
		case "text/html; charset=utf-8":
			p.html = text
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	if p.plain == "" || p.html == "" {
		t.Errorf("want a plain-text and an HTML part, got %q / %q", p.plain, p.html)
	}
	return p
}

func TestSendsOverSTARTTLSWithAuth(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{Users: users})
	res := notifyWith(t, config(srv, "gantry"), firing())
	if !res.OK || res.Attempts != 1 || res.Status != 250 {
		t.Fatalf("Result = %+v", res)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "gantry" || msgs[0].From != "gantry@example.com" ||
		strings.Join(msgs[0].To, ",") != "oncall@example.com,lead@example.com" {
		t.Fatalf("server received %+v, want one authenticated message over TLS", msgs)
	}
	p := parse(t, msgs[0].Data)
	if p.subject != "[FIRING] orders_daily (prod): load failed" {
		t.Errorf("Subject = %q", p.subject)
	}
	for _, want := range []string{"Pipeline: orders_daily", "Owner:    data-eng", "Run:      https://gantry.example/runs/42",
		"#load-failed", "    FATAL: too many connections"} {
		if !strings.Contains(p.plain, want) {
			t.Errorf("plain text lacks %q:\n%s", want, p.plain)
		}
	}
	for _, want := range []string{`<a href="https://gantry.example/runs/42">`, "<pre>psql: could not connect\nFATAL: too many connections</pre>"} {
		if !strings.Contains(p.html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, p.html)
		}
	}
	if p.header.Get("Auto-Submitted") != "auto-generated" || p.header.Get("X-Gantry-Test") != "" {
		t.Errorf("headers = %v", p.header)
	}
}

func TestSubjectMarksResolvedAndTest(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	resolved := firing()
	resolved.Status = alert.StatusResolved
	test := firing()
	test.Test = true
	test.Summary = "Prüfung <b>\r\nBcc: victim@example.com"
	notifyWith(t, config(srv, ""), resolved)
	notifyWith(t, config(srv, ""), test, firing())
	msgs := srv.Messages()
	if p := parse(t, msgs[0].Data); p.subject != "[RESOLVED] orders_daily (prod): load failed" {
		t.Errorf("Subject = %q", p.subject)
	}
	p := parse(t, msgs[1].Data)
	if p.subject != "[TEST] [FIRING] orders_daily (prod): Prüfung <b> Bcc: victim@example.com (+1 more)" {
		t.Errorf("Subject = %q", p.subject)
	}
	if p.header.Get("Bcc") != "" || p.header.Get("X-Gantry-Test") != "true" || !strings.Contains(p.plain, "test alert") {
		t.Errorf("test mail: headers %v, body %q", p.header, p.plain)
	}
	if strings.Contains(p.html, "<b>") {
		t.Error("HTML does not escape alert text")
	}
}

func TestRefusesCredentialsWithoutTLS(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{NoSTARTTLS: true, Users: users})
	res := notifyWith(t, config(srv, "gantry"), firing())
	if res.OK || res.Retryable || res.Attempts != 1 || !strings.Contains(res.Err, "refusing to send credentials") {
		t.Errorf("Result = %+v, want a permanent refusal", res)
	}
	if tr := srv.Transcript(); bytes.Contains(tr, []byte("AUTH")) || bytes.Contains(tr, []byte("MAIL")) {
		t.Errorf("client went on without TLS:\n%s", tr)
	}
}

func TestPlaintextOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{NoSTARTTLS: true})
	cfg := config(srv, "")
	if res := notifyWith(t, cfg, firing()); !res.OK || srv.Messages()[0].TLS {
		t.Errorf("Result = %+v, want a plaintext delivery without credentials", res)
	}
	cfg.RequireTLS = true
	if res := notifyWith(t, cfg, firing()); res.OK || res.Retryable || len(srv.Messages()) != 1 {
		t.Errorf("Result = %+v, want RequireTLS to refuse", res)
	}
}

func TestUntrustedCertificateFailsWithoutFallback(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{Users: users})
	cfg := config(srv, "gantry")
	cfg.TLS = &tls.Config{RootCAs: x509.NewCertPool()}
	res := notifyWith(t, cfg, firing())
	if res.OK || res.Retryable || res.Attempts != 1 || !strings.Contains(res.Err, "starttls") {
		t.Errorf("Result = %+v, want a permanent TLS failure", res)
	}
	if tr := srv.Transcript(); bytes.Contains(tr, []byte("AUTH")) {
		t.Errorf("credentials sent after a failed handshake:\n%s", tr)
	}
}

func TestRetriesOnlyTransientFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      smtptest.Options
		user      string
		ok        bool
		attempts  int
		status    int
		retryable bool
	}{
		{"451 then accepted", smtptest.Options{DataReplies: []string{"451 4.3.0 try again later"}}, "", true, 2, 250, false},
		{"550 is final", smtptest.Options{DataReplies: []string{"550 5.7.1 message rejected"}}, "", false, 1, 550, false},
		{"bad password is final", smtptest.Options{Users: map[string]string{"gantry": "other"}}, "gantry", false, 1, 535, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.NewServer(t, tc.opts)
			res := notifyWith(t, config(srv, tc.user), firing())
			if res.OK != tc.ok || res.Attempts != tc.attempts || res.Status != tc.status || res.Retryable != tc.retryable {
				t.Errorf("Result = %+v, want ok=%v attempts=%d status=%d", res, tc.ok, tc.attempts, tc.status)
			}
			if srv.Sessions() != tc.attempts {
				t.Errorf("server saw %d sessions, want %d", srv.Sessions(), tc.attempts)
			}
		})
	}
}

func TestServerDownIsRetried(t *testing.T) {
	t.Parallel()
	var sleeps notifytest.Sleeps
	n, err := email.New(email.Config{
		Name: "m", Addr: notifytest.ClosedAddr(t), From: "g@example.com", To: []string{"o@example.com"},
		Retry: notify.Policy{Sleep: sleeps.Sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := n.Notify(t.Context(), []alert.Alert{firing()})
	if res.OK || res.Attempts != 3 || !res.Retryable || !strings.Contains(res.Err, "connection refused") || len(sleeps.Waits()) != 2 {
		t.Errorf("Result = %+v, waits %v; want 3 refused attempts", res, sleeps.Waits())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]email.Config{
		"no port":      {Addr: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}},
		"bad from":     {Addr: "smtp.example.com:587", From: "nobody", To: []string{"b@example.com"}},
		"no recipient": {Addr: "smtp.example.com:587", From: "a@example.com"},
	} {
		if _, err := email.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
