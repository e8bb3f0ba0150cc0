package spec

import "fmt"

// CheckName reports whether s is a valid name for what ("pipeline name",
// "project name"): the rule pipeline, project, environment, pool, route
// and channel names follow in YAML, for callers that make such names.
func CheckName(what, s string) error {
	if !nameRe.MatchString(s) {
		return fmt.Errorf("invalid %s %q: %s", what, clip(s), describeRe(nameRe))
	}
	return nil
}
