package spec

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FailureModes are the failure modes alerts.suppress may name: the ways a
// pipeline fails that the readiness gate wants a production route to page
// about (see internal/alert/routing.Modes).
var FailureModes = []string{"failure", "timeout", "oom", "lost", "sla", "stale", "row_count", "dead_letter", "rollback"}

// SuppressModes are what alerts.suppress may name: the failure modes and
// "degradation" (RunSlow, RetryRateHigh), which `gantry readiness` wants
// routed to a channel or suppressed with a reason as well.
var SuppressModes = append(slices.Clone(FailureModes), "degradation")

// AlertSuppress says that a failure mode is deliberately not paged about,
// and why: the readiness gate's alert-coverage rule accepts a route that
// drops it.
type AlertSuppress struct {
	Mode   string // one of SuppressModes
	Reason string // never empty after parsing
	Path   string // "alerts.suppress[0]", the entry's key in Positions
}

// suppressions decodes alerts.suppress: a list of {mode, reason}.
func (d *decoder) suppressions(n *yaml.Node, path string) []AlertSuppress {
	items, ok := d.sequence(n, path)
	if !ok {
		return nil
	}
	var out []AlertSuppress
	seen := map[string]bool{}
	for i, it := range items {
		p := index(path, i)
		if _, ok := d.pos[p]; !ok {
			d.pos[p] = posOf(it) // where the gate reports on the entry
		}
		fields, ok := d.mapping(it, p, []string{"mode", "reason"})
		if !ok {
			continue
		}
		s := AlertSuppress{Path: p}
		valid := true
		for _, f := range fields {
			switch f.Key {
			case "mode":
				s.Mode, valid = d.oneOf(f.Value, f.Path, SuppressModes)
			case "reason":
				s.Reason, _ = d.str(f.Value, f.Path)
				s.Reason = strings.TrimSpace(s.Reason)
			}
		}
		switch {
		case !d.has(p, "mode"):
			d.errorf(it, p, "missing `mode:` (one of %s)", strings.Join(SuppressModes, ", "))
			continue
		case !valid:
			continue
		case s.Reason == "":
			d.errorf(it, p, "suppressing %s alerts needs a `reason:` (why nobody is paged when it happens)", s.Mode)
			continue
		case seen[s.Mode]:
			d.errorf(it, p, "%s is suppressed twice", s.Mode)
			continue
		}
		seen[s.Mode] = true
		out = append(out, s)
	}
	return out
}
