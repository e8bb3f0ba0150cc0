package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// Config configures a Slack channel.
type Config struct {
	Name   string
	URL    alert.Secret // the incoming-webhook URL
	Redact []string     // secret values to strip from alert text
	Retry  notify.Policy
	Client *http.Client // nil: notify.NewClient()
}

// Notifier posts alert groups to one Slack incoming webhook.
type Notifier struct {
	cfg    Config
	redact alert.Redactor
}

var _ alert.Notifier = (*Notifier)(nil)

// New checks cfg and returns its Notifier.
func New(cfg Config) (*Notifier, error) {
	u, err := url.Parse(string(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("slack: url must be an absolute http or https URL")
	}
	if cfg.Client == nil {
		cfg.Client = notify.NewClient()
	}
	// The path alone (/services/T…/B…/token) is as good as the whole URL.
	red := append([]string{string(cfg.URL)}, cfg.Redact...)
	if len(u.Path) > 1 {
		red = append(red, u.Path)
	}
	return &Notifier{cfg: cfg, redact: alert.NewRedactor(red...)}, nil
}

// Notify posts alerts as one message.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) alert.Result {
	res := n.deliver(ctx, alerts)
	res.Channel, res.Type = n.cfg.Name, "slack"
	return res
}

func (n *Notifier) deliver(ctx context.Context, alerts []alert.Alert) alert.Result {
	if len(alerts) == 0 {
		return alert.Result{Err: "no alerts to send"}
	}
	body, err := json.Marshal(Render(n.redact.Alerts(alerts)))
	if err != nil {
		return alert.Result{Err: fmt.Sprintf("encode message: %v", err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return notify.Deliver(ctx, n.cfg.Retry, n.redact, func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, n.cfg.Client, string(n.cfg.URL), h, body)
	})
}
