package routing

import (
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/spec"
)

// Every mode alerts.suppress accepts is one the gate walks, and every
// mode's kind is one routes can name in on:, with a runbook anchor its
// alerts link to.
func TestModesMatchTheSpec(t *testing.T) {
	t.Parallel()
	var names []string
	for _, m := range Modes {
		names = append(names, m.Name)
		if !slices.Contains(spec.AlertKinds, m.Kind) {
			t.Errorf("mode %s: kind %q is not a spec.AlertKinds kind", m.Name, m.Kind)
		}
		for _, a := range m.Alerts {
			if Anchor(a) != m.Anchor {
				t.Errorf("mode %s: alert %s links to #%s, want #%s", m.Name, a, Anchor(a), m.Anchor)
			}
		}
		if !slices.ContainsFunc(Anchors, func(h HeadingAnchor) bool { return h.Anchor == m.Anchor }) {
			t.Errorf("mode %s: anchor %s has no heading words", m.Name, m.Anchor)
		}
	}
	if !slices.Equal(names, spec.FailureModes) {
		t.Errorf("modes %v, spec.FailureModes %v", names, spec.FailureModes)
	}
}

func TestHasAnchor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		headings []string
		anchor   string
		want     bool
	}{
		{[]string{"Out of memory"}, "out-of-memory", true},
		{[]string{"Failure: OOM kills"}, "out-of-memory", true},
		{[]string{"lost-attempt"}, "lost-attempt", true},
		{[]string{"Failure: source unavailable"}, "dead-letters", false},
		{[]string{"Replaying dead letters"}, "dead-letters", true},
		{nil, "rollback", false},
	} {
		if got := HasAnchor(c.headings, c.anchor); got != c.want {
			t.Errorf("HasAnchor(%q, %s) = %v, want %v", c.headings, c.anchor, got, c.want)
		}
	}
}
