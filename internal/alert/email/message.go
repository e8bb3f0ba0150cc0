package email

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// maxDetails bounds the error lines quoted per alert.
const maxDetails = 8 << 10

var fieldLabels = []struct{ name, label string }{
	{"Pipeline", "pipeline"}, {"Env", "env"}, {"Owner", "owner"}, {"Severity", "severity"}, {"Task", "task"},
}

const testNote = "This is a test alert from `gantry alerts test`; nothing is broken."

// message renders the whole RFC 5322 message for redacted alerts.
func (n *Notifier) message(alerts []alert.Alert) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.String()
	}
	hdr("From", n.from.String())
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", Subject(alerts)))
	hdr("Date", n.cfg.Now().Format(time.RFC1123Z))
	hdr("Message-ID", messageID(n.from.Address))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	hdr("Auto-Submitted", "auto-generated")
	if notify.AnyTest(alerts) {
		hdr("X-Gantry-Test", "true")
	}
	buf.WriteString("\r\n")
	for _, p := range []struct {
		ctype  string
		render func(*bytes.Buffer, []alert.Alert) error
	}{{"text/plain", plainBody}, {"text/html", htmlBody}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		var body bytes.Buffer
		if err := p.render(&body, alerts); err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write(body.Bytes()); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Subject is the subject line of a group: the first alert's title and how
// many more there are, on one line.
func Subject(alerts []alert.Alert) string {
	s := notify.Title(alerts[0])
	if len(alerts) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(alerts)-1)
	}
	return notify.OneLine(s)
}

func plainBody(b *bytes.Buffer, alerts []alert.Alert) error {
	for i, a := range alerts {
		if i > 0 {
			b.WriteString("\n----\n\n")
		}
		b.WriteString(notify.Title(a) + "\n\n")
		if a.Test {
			b.WriteString(testNote + "\n\n")
		}
		for _, f := range fieldLabels {
			if v := a.Labels[f.label]; v != "" {
				fmt.Fprintf(b, "%-9s %s\n", f.name+":", v)
			}
		}
		if a.RunURL != "" {
			fmt.Fprintf(b, "Run:      %s\n", a.RunURL)
		}
		if a.RunbookURL != "" {
			fmt.Fprintf(b, "Runbook:  %s\n", a.RunbookURL)
		}
		if d := strings.TrimSpace(a.Details); d != "" {
			b.WriteString("\nLast error lines:\n\n")
			for _, l := range strings.Split(notify.LastLines(d, maxDetails), "\n") {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	return nil
}

var htmlTmpl = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
{{range $i, $a := .}}{{if $i}}<hr>{{end}}
<h2>{{.Title}}</h2>
{{if .Test}}<p><strong>{{.TestNote}}</strong></p>{{end}}
<table>{{range .Fields}}<tr><th align="left">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{if .RunURL}}<p><a href="{{.RunURL}}">Open the run</a></p>{{end}}
{{if .RunbookURL}}<p><a href="{{.RunbookURL}}">Runbook</a></p>{{end}}
{{if .Details}}<p>Last error lines:</p>
<pre>{{.Details}}</pre>{{end}}
{{end}}</body></html>
`))

type htmlAlert struct {
	Title, TestNote, RunURL, RunbookURL, Details string
	Test                                         bool
	Fields                                       []struct{ Name, Value string }
}

func htmlBody(b *bytes.Buffer, alerts []alert.Alert) error {
	var data []htmlAlert
	for _, a := range alerts {
		h := htmlAlert{
			Title: notify.Title(a), TestNote: testNote, Test: a.Test,
			RunURL: a.RunURL, RunbookURL: a.RunbookURL,
			Details: notify.LastLines(strings.TrimSpace(a.Details), maxDetails),
		}
		for _, f := range fieldLabels {
			if v := a.Labels[f.label]; v != "" {
				h.Fields = append(h.Fields, struct{ Name, Value string }{f.name, v})
			}
		}
		data = append(data, h)
	}
	return htmlTmpl.Execute(b, data)
}

// messageID makes a unique id in the sender's domain.
func messageID(from string) string {
	host := from[strings.LastIndexByte(from, '@')+1:]
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "<" + hex.EncodeToString(r[:]) + ".gantry@" + host + ">"
}
