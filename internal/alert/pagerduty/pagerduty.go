package pagerduty

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

// DefaultBaseURL is PagerDuty's events endpoint.
const DefaultBaseURL = "https://events.pagerduty.com"

// Config configures a PagerDuty channel.
type Config struct {
	Name       string
	RoutingKey alert.Secret // the integration key of a service
	BaseURL    string       // "": DefaultBaseURL
	Source     string       // the payload's source; "": the pipeline label, else "gantry"
	ClientURL  string       // a link back to Gantry shown in the incident; optional
	Redact     []string     // secret values to strip from alert text
	Retry      notify.Policy
	Client     *http.Client // nil: notify.NewClient()
}

// Notifier sends alert groups to one PagerDuty service.
type Notifier struct {
	cfg      Config
	endpoint string
	redact   alert.Redactor
}

var _ alert.Notifier = (*Notifier)(nil)

// New checks cfg and returns its Notifier.
func New(cfg Config) (*Notifier, error) {
	if cfg.RoutingKey == "" {
		return nil, errors.New("pagerduty: routing_key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("pagerduty: base_url must be an absolute http or https URL")
	}
	if cfg.Client == nil {
		cfg.Client = notify.NewClient()
	}
	return &Notifier{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/v2/enqueue",
		redact:   alert.NewRedactor(append([]string{string(cfg.RoutingKey)}, cfg.Redact...)...),
	}, nil
}

// Notify sends one event per alert.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) alert.Result {
	res := alert.Result{Err: "no alerts to send"}
	start := time.Now()
	var errs []string
	for i, a := range n.redact.Alerts(alerts) {
		r := n.send(ctx, a)
		if i == 0 {
			res = r
		} else {
			res.Attempts += r.Attempts
			res.OK = res.OK && r.OK
			res.Retryable = res.Retryable || r.Retryable
			if !r.OK || res.OK {
				res.Status = r.Status
			}
		}
		if !r.OK {
			errs = append(errs, fmt.Sprintf("%s: %s", a.Fingerprint, r.Err))
		}
	}
	if len(alerts) > 0 {
		res.Err = strings.Join(errs, "; ")
	}
	res.Channel, res.Type, res.Duration = n.cfg.Name, "pagerduty", time.Since(start)
	return res
}

func (n *Notifier) send(ctx context.Context, a alert.Alert) alert.Result {
	body, err := json.Marshal(n.event(a))
	if err != nil {
		return alert.Result{Err: fmt.Sprintf("encode event: %v", err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return notify.Deliver(ctx, n.cfg.Retry, n.redact, func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, n.cfg.Client, n.endpoint, h, body)
	})
}
