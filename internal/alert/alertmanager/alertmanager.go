package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// Config configures an Alertmanager channel.
type Config struct {
	Name   string
	URL    string   // the Alertmanager's base URL, e.g. http://alertmanager:9093
	Redact []string // secret values to strip from alert text
	Retry  notify.Policy
	Client *http.Client     // nil: notify.NewClient()
	Now    func() time.Time // endsAt of resolved alerts; nil: time.Now
}

// Notifier posts alert groups to one Alertmanager.
type Notifier struct {
	cfg      Config
	endpoint string
	redact   alert.Redactor
}

var _ alert.Notifier = (*Notifier)(nil)

// New checks cfg and returns its Notifier.
func New(cfg Config) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("alertmanager: url must be an absolute http or https URL")
	}
	if cfg.Client == nil {
		cfg.Client = notify.NewClient()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts",
		redact:   alert.NewRedactor(append([]string{u.User.String()}, cfg.Redact...)...),
	}, nil
}

// PostableAlert is one element of the request body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     *time.Time        `json:"startsAt,omitempty"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify posts alerts in one request.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) alert.Result {
	res := n.deliver(ctx, alerts)
	res.Channel, res.Type = n.cfg.Name, "alertmanager"
	return res
}

func (n *Notifier) deliver(ctx context.Context, alerts []alert.Alert) alert.Result {
	if len(alerts) == 0 {
		return alert.Result{Err: "no alerts to send"}
	}
	now := n.cfg.Now()
	body := make([]PostableAlert, 0, len(alerts))
	for _, a := range n.redact.Alerts(alerts) {
		body = append(body, postable(a, now))
	}
	b, err := json.Marshal(body)
	if err != nil {
		return alert.Result{Err: fmt.Sprintf("encode alerts: %v", err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return notify.Deliver(ctx, n.cfg.Retry, n.redact, func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, n.cfg.Client, n.endpoint, h, b)
	})
}

func postable(a alert.Alert, now time.Time) PostableAlert {
	// Alertmanager's templates add [FIRING] and [RESOLVED] themselves.
	summary := notify.OneLine(a.Summary)
	if a.Test {
		summary = "[TEST] " + summary
	}
	p := PostableAlert{Labels: Labels(a), Annotations: map[string]string{}}
	for k, v := range map[string]string{
		"summary":            summary,
		"description":        a.Details,
		"runbook_url":        a.RunbookURL,
		"gantry_fingerprint": a.Fingerprint,
	} {
		if v != "" {
			p.Annotations[k] = v
		}
	}
	if !a.StartsAt.IsZero() {
		p.StartsAt = &a.StartsAt
	}
	if a.Resolved() {
		end := now
		if !a.EndsAt.IsZero() && !a.EndsAt.After(now) {
			end = a.EndsAt
		}
		p.EndsAt = &end
	}
	if u, err := url.Parse(a.RunURL); err == nil && u.IsAbs() {
		p.GeneratorURL = a.RunURL
	}
	return p
}

// Labels returns a's labels as Alertmanager accepts them.
func Labels(a alert.Alert) map[string]string {
	out := make(map[string]string, len(a.Labels)+2)
	for k, v := range a.Labels {
		if k = labelName(k); k != "" && v != "" {
			out[k] = v
		}
	}
	if out["alertname"] == "" {
		out["alertname"] = "GantryAlert"
	}
	if a.Test {
		out["test"] = "true"
	}
	return out
}

// labelName maps name onto [a-zA-Z_][a-zA-Z0-9_]*, the names every
// Alertmanager version accepts.
func labelName(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
