package manager

import (
	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/spec"
)

// Receiver is what one channel's notifier is built from: the channel as
// gantry.yaml declares it, with its secrets resolved for this evaluation.
type Receiver struct {
	Channel spec.Channel
	Secret  string   // the value of Channel.Secret; "" when it names none
	URL     string   // Channel.URL, or the value of Channel.URLSecret
	Redact  []string // every secret value the evaluation resolved, to keep out of errors
	BaseURL string   // where Gantry's UI is reached (Config.BaseURL), for links back
}

// NotifierFunc builds a channel's notifier; an unknown channel type, or a
// configuration it cannot use, is an error that the channel's deliveries
// report. Package app holds the one implementation, so that the manager
// knows no channel kind: adding one touches app, spec and the channel's own
// package.
type NotifierFunc func(Receiver) (alert.Notifier, error)
