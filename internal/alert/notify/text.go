package notify

import (
	"strings"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/alert"
)

// Tag is the marker that starts every title and subject: [FIRING] or
// [RESOLVED], preceded by [TEST] for a test-fire so that it reads as one
// wherever it lands.
func Tag(a alert.Alert) string {
	t := "[FIRING]"
	if a.Resolved() {
		t = "[RESOLVED]"
	}
	if a.Test {
		t = "[TEST] " + t
	}
	return t
}

// GroupStatus is "firing" when any alert of the group fires, else
// "resolved", as Alertmanager reports a group.
func GroupStatus(alerts []alert.Alert) string {
	for _, a := range alerts {
		if !a.Resolved() {
			return alert.StatusFiring
		}
	}
	return alert.StatusResolved
}

// AnyTest reports whether any alert of the group is a test-fire.
func AnyTest(alerts []alert.Alert) bool {
	for _, a := range alerts {
		if a.Test {
			return true
		}
	}
	return false
}

// Title is the one-line headline of an alert: tag, pipeline, env, summary.
func Title(a alert.Alert) string {
	var b strings.Builder
	b.WriteString(Tag(a))
	if p := a.Labels["pipeline"]; p != "" {
		b.WriteString(" " + p)
		if e := a.Labels["env"]; e != "" {
			b.WriteString(" (" + e + ")")
		}
		b.WriteString(":")
	}
	if s := OneLine(a.Summary); s != "" {
		b.WriteString(" " + s)
	}
	return b.String()
}

// OneLine folds s onto one line, so that it cannot break a header.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Truncate shortens s to at most n bytes, on a rune boundary, ending with
// "…" when something was cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := max(n-len(ell), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// LastLines keeps the end of s within n bytes, dropping whole lines from
// the front: the last error lines are the ones that say what broke.
func LastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= n {
		return s
	}
	const gap = "…\n"
	if n <= len(gap) {
		return Truncate(s, n)
	}
	tail := s[len(s)-(n-len(gap)):]
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < len(tail)-1 {
		tail = tail[i+1:]
	} else {
		for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
			tail = tail[1:]
		}
	}
	return gap + tail
}
