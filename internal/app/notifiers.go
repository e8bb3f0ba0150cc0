package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/alertmanager"
	"github.com/gantryhq/gantry/internal/alert/email"
	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/pagerduty"
	"github.com/gantryhq/gantry/internal/alert/slack"
	"github.com/gantryhq/gantry/internal/alert/webhook"
)

// NotifierOptions are what every channel's notifier shares.
type NotifierOptions struct {
	Retry   notify.Policy    // every channel's delivery retries
	Client  *http.Client     // nil: one notify.NewClient() for every channel
	MailTLS *tls.Config      // STARTTLS for e-mail channels; nil: system roots
	Now     func() time.Time // signing and message times; nil: time.Now
}

// Notifiers builds alert channels' notifiers from gantry.yaml's channel
// config: the one place that knows every channel type, after
// Alertmanager's config/receiver. A new channel kind is a case here, its
// type in spec, and its own package.
func Notifiers(o NotifierOptions) manager.NotifierFunc {
	if o.Client == nil {
		o.Client = notify.NewClient()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return func(r manager.Receiver) (alert.Notifier, error) {
		c, red, pol, client := r.Channel, r.Redact, o.Retry, o.Client
		switch c.Type {
		case "webhook":
			return webhook.New(webhook.Config{Name: c.Name, URL: r.URL, Secret: alert.Secret(r.Secret), Redact: red, Retry: pol, Client: client, Now: o.Now})
		case "slack":
			return slack.New(slack.Config{Name: c.Name, URL: alert.Secret(r.URL), Redact: red, Retry: pol, Client: client})
		case "pagerduty":
			return pagerduty.New(pagerduty.Config{Name: c.Name, RoutingKey: alert.Secret(r.Secret), BaseURL: r.URL,
				ClientURL: r.BaseURL, Redact: red, Retry: pol, Client: client})
		case "alertmanager":
			return alertmanager.New(alertmanager.Config{Name: c.Name, URL: r.URL, Redact: red, Retry: pol, Client: client, Now: o.Now})
		case "email":
			return mailer(r, o)
		}
		return nil, fmt.Errorf("unknown channel type %q", c.Type)
	}
}

// mailer builds an e-mail channel from url smtp://[user@]host:port[?from=addr].
func mailer(r manager.Receiver, o NotifierOptions) (alert.Notifier, error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, errors.New("email: url must be smtp://[user@]host:port[?from=address]")
	}
	addr := u.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "587")
	}
	from := u.Query().Get("from")
	if from == "" {
		from = "gantry@" + u.Hostname()
	}
	return email.New(email.Config{Name: r.Channel.Name, Addr: addr, From: from, To: r.Channel.To, Username: u.User.Username(),
		Password: alert.Secret(r.Secret), TLS: o.MailTLS, Redact: r.Redact, Retry: o.Retry, Now: o.Now})
}
