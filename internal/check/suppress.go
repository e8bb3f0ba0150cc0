package check

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// IgnoreFile is the file in the project folder that lists suppressions
// with a reason and an expiry date.
const IgnoreFile = ".gantry-ignore.yaml"

// inlineSuppression is a `gantry:ignore RULE reason` comment.
type inlineSuppression struct {
	Line   int
	Rule   string
	Reason string
	Own    bool // the comment is alone on its line, so it covers the next one
}

var (
	inlineRe   = regexp.MustCompile(`(#|//|<!--)\s*gantry:ignore\b(.*)$`)
	markdownRe = regexp.MustCompile(`(<!--)\s*gantry:ignore\b(.*)$`)
)

// parseInline collects the inline suppressions of one file. Markdown
// files take only the HTML comment form, so that documentation can show
// the syntax in code spans.
func (r *run) parseInline(rel string, data []byte) {
	if !bytes.Contains(data, []byte("gantry:ignore")) {
		return
	}
	re := inlineRe
	if ext := path.Ext(rel); ext == ".md" || ext == ".markdown" {
		re = markdownRe
	}
	for i, line := range strings.Split(string(data), "\n") {
		m := re.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		body := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line[m[4]:m[5]]), "-->"))
		rule, reason, _ := strings.Cut(body, " ")
		reason = strings.TrimSpace(reason)
		bad := Finding{Rule: RuleBadSuppression, File: rel, Line: i + 1, Col: m[2] + 1}
		if msg := checkSuppression(rule, reason); msg != "" {
			// Elsewhere in the repository it may be documentation of the
			// syntax (gantry:ignore RULE reason); a finding it meant to
			// silence is still reported, so nothing is hidden.
			if r.typed[rel] {
				bad.Message = msg
				r.add(bad)
			}
			continue
		}
		r.inline[rel] = append(r.inline[rel], inlineSuppression{
			Line: i + 1, Rule: rule, Reason: reason,
			Own: strings.TrimSpace(line[:m[2]]) == "",
		})
	}
}

// checkSuppression returns what is wrong with a suppression, or "".
func checkSuppression(rule, reason string) string {
	switch {
	case rule == "":
		return "gantry:ignore names no rule: write gantry:ignore RULE reason"
	case rule == RuleBadSuppression:
		return "a bad suppression cannot be suppressed"
	}
	if _, ok := LookupRule(rule); !ok {
		return fmt.Sprintf("gantry:ignore names unknown rule %q (see gantry check --explain)", rule)
	}
	if reason == "" {
		return fmt.Sprintf("suppression of %s has no reason, so it does not apply", rule)
	}
	return ""
}

// suppress splits the findings into those that stand and those that a
// valid suppression silences, both sorted.
func (r *run) suppress() ([]Finding, []Suppressed) {
	entries := append(r.readIgnoreFile(), r.readBaseline()...)
	var keep []Finding
	var silenced []Suppressed
	for _, f := range sortFindings(r.findings) {
		if s, ok := r.match(f, entries); ok {
			silenced = append(silenced, s)
			continue
		}
		keep = append(keep, f)
	}
	silenced = append(silenced, r.modeSuppressed...)
	slices.SortFunc(silenced, func(a, b Suppressed) int { return compareFindings(a.Finding, b.Finding) })
	return keep, silenced
}

func (r *run) match(f Finding, entries []ignoreEntry) (Suppressed, bool) {
	if f.Rule == RuleBadSuppression {
		return Suppressed{}, false
	}
	for _, s := range r.inline[f.File] {
		if f.commit != "" {
			break // the comments of today's file say nothing of an old one
		}
		if s.Rule == f.Rule && (s.Line == f.Line || (s.Own && s.Line == f.Line-1)) {
			return Suppressed{Finding: f, Reason: s.Reason, Source: fmt.Sprintf("%s:%d", f.File, s.Line)}, true
		}
	}
	for _, e := range entries {
		if e.matches(f) {
			return Suppressed{Finding: f, Reason: e.Reason, Source: fmt.Sprintf("%s:%d", e.source, e.Line)}, true
		}
	}
	return Suppressed{}, false
}

// globRe turns a slash glob into a regular expression: * and ? stay within
// one path segment, ** crosses segments.
func globRe(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case c == '*' && i+1 < len(glob) && glob[i+1] == '*':
			i++
			if i+1 < len(glob) && glob[i+1] == '/' {
				i++
				b.WriteString("(?:.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
