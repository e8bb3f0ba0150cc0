package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// Config configures an e-mail channel.
type Config struct {
	Name       string
	Addr       string // host:port of the SMTP server
	From       string
	To         []string
	Username   string       // "": no AUTH
	Password   alert.Secret // for AUTH PLAIN
	TLS        *tls.Config  // for STARTTLS; nil: system roots. ServerName defaults to Addr's host
	RequireTLS bool         // fail when the server offers no STARTTLS, even without credentials
	LocalName  string       // the EHLO name; "": "localhost"
	Redact     []string     // secret values to strip from alert text
	Retry      notify.Policy
	Now        func() time.Time // the Date header; nil: time.Now
}

// Notifier mails alert groups to fixed recipients.
type Notifier struct {
	cfg    Config
	host   string
	from   *mail.Address
	to     []*mail.Address
	redact alert.Redactor
}

var _ alert.Notifier = (*Notifier)(nil)

// Refusals that retrying cannot help.
var (
	errPlaintext = errors.New("server offers no STARTTLS")
	errNoAuth    = errors.New("server offers no AUTH")
)

// New checks cfg and returns its Notifier.
func New(cfg Config) (*Notifier, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("email: addr %q: want host:port", cfg.Addr)
	}
	n := &Notifier{cfg: cfg, host: host}
	if n.from, err = mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email: from: %w", err)
	}
	if len(cfg.To) == 0 {
		return nil, errors.New("email: to: at least one recipient is required")
	}
	for _, t := range cfg.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("email: to %q: %w", t, err)
		}
		n.to = append(n.to, a)
	}
	if n.cfg.TLS == nil {
		n.cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if n.cfg.TLS.ServerName == "" {
		n.cfg.TLS = n.cfg.TLS.Clone()
		n.cfg.TLS.ServerName = host
	}
	if n.cfg.LocalName == "" {
		n.cfg.LocalName = "localhost"
	}
	if n.cfg.Now == nil {
		n.cfg.Now = time.Now
	}
	n.redact = alert.NewRedactor(append([]string{string(cfg.Password)}, cfg.Redact...)...)
	return n, nil
}

// Notify mails alerts as one message.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) alert.Result {
	res := n.deliver(ctx, alerts)
	res.Channel, res.Type = n.cfg.Name, "email"
	return res
}

func (n *Notifier) deliver(ctx context.Context, alerts []alert.Alert) alert.Result {
	if len(alerts) == 0 {
		return alert.Result{Err: "no alerts to send"}
	}
	msg, err := n.message(n.redact.Alerts(alerts))
	if err != nil {
		return alert.Result{Err: fmt.Sprintf("build message: %v", err)}
	}
	return notify.Deliver(ctx, n.cfg.Retry, n.redact, func(ctx context.Context) notify.Attempt {
		if err := n.send(ctx, msg); err != nil {
			return classify(err)
		}
		return notify.Attempt{Status: 250}
	})
}

// send runs one SMTP session.
func (n *Notifier) send(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation unblocks whatever read or write is in progress.
	defer context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })()

	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(n.cfg.LocalName); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(n.cfg.TLS); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	} else if n.cfg.Username != "" {
		return fmt.Errorf("refusing to send credentials: %w", errPlaintext)
	} else if n.cfg.RequireTLS {
		return fmt.Errorf("refusing to send: %w", errPlaintext)
	}
	if n.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("auth: %w", errNoAuth)
		}
		if err := c.Auth(smtp.PlainAuth("", n.cfg.Username, string(n.cfg.Password), n.host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	return n.transfer(c, msg)
}

func (n *Notifier) transfer(c *smtp.Client, msg []byte) error {
	if err := c.Mail(n.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, t := range n.to {
		if err := c.Rcpt(t.Address); err != nil {
			return fmt.Errorf("rcpt to %s: %w", t.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	_ = c.Quit() // the message is accepted; a lost goodbye does not matter
	return nil
}

// classify says whether an SMTP failure is worth retrying: a 4xx reply or
// a network error may clear up, a 5xx reply or a refusal will not.
func classify(err error) notify.Attempt {
	a := notify.Attempt{Err: err}
	var te *textproto.Error
	switch {
	case errors.As(err, &te):
		a.Status = te.Code
		a.Retryable = te.Code >= 400 && te.Code < 500
	case errors.Is(err, errPlaintext), errors.Is(err, errNoAuth), errors.Is(err, context.Canceled):
	default:
		var ce *tls.CertificateVerificationError
		a.Retryable = !errors.As(err, &ce)
	}
	return a
}
