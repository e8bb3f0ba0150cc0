package manager

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/record"
)

// Label names every alert carries.
const (
	LabelAlertname = routing.LabelAlertname
	LabelPipeline  = routing.LabelPipeline
	LabelEnv       = routing.LabelEnv
	LabelOwner     = routing.LabelOwner
	LabelSeverity  = routing.LabelSeverity
	LabelRoute     = routing.LabelRoute
	LabelKind      = routing.LabelKind
	LabelTask      = routing.LabelTask
	LabelRun       = "run" // event alerts only: one alert per run
	LabelAttempt   = "attempt"
)

// identity are the labels a fingerprint is computed over. Owner, severity,
// route and kind describe an alert but do not make it another one: editing
// a pipeline's owner must not page again for the same failure.
var identity = []string{LabelAlertname, LabelPipeline, LabelEnv, LabelTask, LabelRun, LabelAttempt}

// Fingerprint is the stable id of an alert with these labels: the hex
// SHA-256 of its identity labels, sorted, as name=value lines. The same
// condition on the same pipeline and environment always has the same
// fingerprint, across runs and restarts.
func Fingerprint(labels map[string]string) string {
	var b strings.Builder
	for _, k := range identity {
		if v, ok := labels[k]; ok && v != "" {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// Severities.
const (
	SeverityCritical = routing.SeverityCritical
	SeverityWarning  = routing.SeverityWarning
	SeverityInfo     = routing.SeverityInfo
)

// eventKinds are kinds whose alerts report one thing that happened rather
// than a condition that holds: they fire once and resolve, without a
// resolve notification, once sent.
var eventKinds = []string{"retry", "success"}

func isEvent(kind string) bool { return slices.Contains(eventKinds, kind) }

// labelsOf returns a's labels with its kind, as routing and silences see
// them.
func labelsOf(a record.Alert) map[string]string {
	l := maps.Clone(a.Labels)
	if l == nil {
		l = map[string]string{}
	}
	if a.Kind != "" {
		l[LabelKind] = a.Kind
	}
	return l
}
