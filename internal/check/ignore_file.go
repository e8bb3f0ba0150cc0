package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ignoreEntry is one valid entry of the ignore file.
type ignoreEntry struct {
	Line   int
	Rule   string
	Reason string
	path   interface{ MatchString(string) bool }
	source string // the file it is written in, as reports name it
	// A baseline entry may also pin the finding's line and, for one in
	// the history, the commit (a prefix of its id).
	line   int
	commit string
}

func (e ignoreEntry) matches(f Finding) bool {
	return e.Rule == f.Rule && e.path.MatchString(f.File) &&
		(e.line == 0 || e.line == f.Line) &&
		(e.commit == "" || (f.commit != "" && (strings.HasPrefix(f.commit, e.commit) || strings.HasPrefix(e.commit, f.commit))))
}

// readIgnoreFile reads IgnoreFile. Entries that are malformed, have no
// reason or expiry, or have expired become findings and do not apply.
func (r *run) readIgnoreFile() []ignoreEntry {
	data, err := os.ReadFile(filepath.Join(r.dir, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return r.parseEntries(IgnoreFile, data, err, ignoreKeys)
}

// Keys an entry may have.
var (
	ignoreKeys   = []string{"rule", "path", "reason", "expires"}
	baselineKeys = []string{"rule", "path", "line", "commit", "reason", "expires"}
)

// parseEntries parses a list of suppressions read from the file a report
// names source; data and err are what reading it gave.
func (r *run) parseEntries(source string, data []byte, err error, keys []string) []ignoreEntry {
	want := "{" + strings.Join(keys, ", ") + "}"
	bad := func(line, col int, format string, a ...any) {
		r.findings = append(r.findings, Finding{
			Rule: RuleBadSuppression, Severity: SeverityError, File: source,
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
		bad(list.Line, list.Column, "want a list of %s", want)
		return nil
	}
	today := r.opts.Now().Format(time.DateOnly)
	var out []ignoreEntry
	for _, item := range list.Content {
		if e, msg := parseIgnoreEntry(item, today, keys); msg != "" {
			bad(item.Line, item.Column, "%s", msg)
		} else {
			e.source = source
			out = append(out, e)
		}
	}
	return out
}

func parseIgnoreEntry(n *yaml.Node, today string, keys []string) (ignoreEntry, string) {
	if n.Kind != yaml.MappingNode {
		return ignoreEntry{}, "want a mapping {" + strings.Join(keys, ", ") + "}"
	}
	fields := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if !slices.Contains(keys, k) {
			return ignoreEntry{}, fmt.Sprintf("unknown key %q (want %s)", k, strings.Join(keys, ", "))
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
	if l := fields["line"]; l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return e, fmt.Sprintf("line %q is not a line number", l)
		}
		e.line = n
	}
	e.commit = fields["commit"]
	return e, ""
}
