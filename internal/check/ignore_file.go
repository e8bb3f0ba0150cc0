package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// ignoreEntry is one valid entry of the ignore file.
type ignoreEntry struct {
	Line   int
	Rule   string
	Reason string
	path   interface{ MatchString(string) bool }
}

// readIgnoreFile reads IgnoreFile. Entries that are malformed, have no
// reason or expiry, or have expired become findings and do not apply.
func (r *run) readIgnoreFile() []ignoreEntry {
	data, err := os.ReadFile(filepath.Join(r.dir, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	bad := func(line, col int, format string, a ...any) {
		r.findings = append(r.findings, Finding{
			Rule: RuleBadSuppression, Severity: SeverityError, File: IgnoreFile,
			Line: max(line, 1), Col: max(col, 1), Message: fmt.Sprintf(format, a...),
			Fix: ruleFor(RuleBadSuppression).Fix,
		})
	}
	if err != nil {
		bad(1, 1, "cannot read: %s", reason(err))
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		bad(1, 1, "not valid YAML: %v", err)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	list := doc.Content[0]
	if list.Kind != yaml.SequenceNode {
		bad(list.Line, list.Column, "want a list of {rule, path, reason, expires}")
		return nil
	}
	today := r.opts.Now().Format(time.DateOnly)
	var out []ignoreEntry
	for _, item := range list.Content {
		if e, msg := parseIgnoreEntry(item, today); msg != "" {
			bad(item.Line, item.Column, "%s", msg)
		} else {
			out = append(out, e)
		}
	}
	return out
}

func parseIgnoreEntry(n *yaml.Node, today string) (ignoreEntry, string) {
	if n.Kind != yaml.MappingNode {
		return ignoreEntry{}, "want a mapping {rule, path, reason, expires}"
	}
	fields := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "rule", "path", "reason", "expires":
		default:
			return ignoreEntry{}, fmt.Sprintf("unknown key %q (want rule, path, reason, expires)", k)
		}
		if v.Kind != yaml.ScalarNode {
			return ignoreEntry{}, fmt.Sprintf("%s: want a string", k)
		}
		fields[k] = v.Value
	}
	e := ignoreEntry{Line: n.Line, Rule: fields["rule"], Reason: fields["reason"]}
	if msg := checkSuppression(e.Rule, e.Reason); msg != "" {
		return e, msg
	}
	exp := fields["expires"]
	if exp == "" {
		return e, fmt.Sprintf("suppression of %s has no expires: date (YYYY-MM-DD), so it does not apply", e.Rule)
	}
	if _, err := time.Parse(time.DateOnly, exp); err != nil {
		return e, fmt.Sprintf("expires %q is not a date (YYYY-MM-DD)", exp)
	}
	if exp < today {
		return e, fmt.Sprintf("suppression of %s expired on %s", e.Rule, exp)
	}
	glob := fields["path"]
	if glob == "" {
		glob = "**"
	}
	re, err := globRe(glob)
	if err != nil {
		return e, fmt.Sprintf("path %q is not a valid glob", glob)
	}
	e.path = re
	return e, ""
}
