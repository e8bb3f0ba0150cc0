package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// Version is the payload's version field.
const Version = "1"

// Config configures a webhook channel.
type Config struct {
	Name   string
	URL    string
	Secret alert.Secret // the HMAC key; required
	Redact []string     // secret values to strip from alert text
	Retry  notify.Policy
	Client *http.Client     // nil: notify.NewClient()
	Now    func() time.Time // the signing clock; nil: time.Now
}

// Notifier posts signed alert groups to one URL.
type Notifier struct {
	cfg    Config
	redact alert.Redactor
}

var _ alert.Notifier = (*Notifier)(nil)

// New checks cfg and returns its Notifier.
func New(cfg Config) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhook: url must be an absolute http or https URL")
	}
	if cfg.Secret == "" {
		return nil, errors.New("webhook: secret is required to sign deliveries")
	}
	if cfg.Client == nil {
		cfg.Client = notify.NewClient()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	red := append([]string{string(cfg.Secret), u.User.String()}, cfg.Redact...)
	return &Notifier{cfg: cfg, redact: alert.NewRedactor(red...)}, nil
}

// Payload is the JSON body of a delivery.
type Payload struct {
	Version string    `json:"version"`
	Status  string    `json:"status"`
	Test    bool      `json:"test"`
	Alerts  []Message `json:"alerts"`
}

// Message is one alert in a Payload.
type Message struct {
	Fingerprint string            `json:"fingerprint"`
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Summary     string            `json:"summary"`
	Details     string            `json:"details,omitempty"`
	RunURL      string            `json:"runURL,omitempty"`
	RunbookURL  string            `json:"runbookURL,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      *time.Time        `json:"endsAt,omitempty"`
	Test        bool              `json:"test"`
}

// Notify posts alerts as one signed payload.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) alert.Result {
	res := n.deliver(ctx, alerts)
	res.Channel, res.Type = n.cfg.Name, "webhook"
	return res
}

func (n *Notifier) deliver(ctx context.Context, alerts []alert.Alert) alert.Result {
	if len(alerts) == 0 {
		return alert.Result{Err: "no alerts to send"}
	}
	body, err := json.Marshal(n.payload(n.redact.Alerts(alerts)))
	if err != nil {
		return alert.Result{Err: fmt.Sprintf("encode payload: %v", err)}
	}
	return notify.Deliver(ctx, n.cfg.Retry, n.redact, func(ctx context.Context) notify.Attempt {
		ts := strconv.FormatInt(n.cfg.Now().Unix(), 10)
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("User-Agent", "Gantry")
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign([]byte(n.cfg.Secret), ts, body))
		return notify.Post(ctx, n.cfg.Client, n.cfg.URL, h, body)
	})
}

func (n *Notifier) payload(alerts []alert.Alert) Payload {
	p := Payload{Version: Version, Status: notify.GroupStatus(alerts), Test: notify.AnyTest(alerts)}
	for _, a := range alerts {
		m := Message{
			Fingerprint: a.Fingerprint, Status: a.Status, Labels: a.Labels,
			Summary: a.Summary, Details: a.Details, RunURL: a.RunURL, RunbookURL: a.RunbookURL,
			StartsAt: a.StartsAt, Test: a.Test,
		}
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		if !a.EndsAt.IsZero() {
			m.EndsAt = &a.EndsAt
		}
		p.Alerts = append(p.Alerts, m)
	}
	return p
}
