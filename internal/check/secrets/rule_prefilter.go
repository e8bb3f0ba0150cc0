package secrets

import (
	"bytes"
	"errors"
	"regexp/syntax"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/regexp"
)

// prefilterFor returns a cheaper pattern that matches wherever r's matches
// (a necessary condition, never a sufficient one), to skip gitleaks'
// Detect on fragments where the rule cannot fire; nil when r has no
// pattern or its findings depend on other rules.
//
// Many of gitleaks' patterns open with [\w.-]{0,50}? before their keyword,
// or with \b: neither narrows where a match can be, and the first costs
// Go's regexp ten times the rest of the pattern, at every position of the
// text. Dropping what can match the empty string at the front leaves a
// pattern that matches at the keyword of every match of the whole one. A
// pattern with nothing to drop is its own prefilter: a fragment without a
// match then costs one search instead of Detect's set-up (lower-casing,
// its keyword trie, allowlist paths) and two searches.
func prefilterFor(r config.Rule) *regexp.Regexp {
	if r.Regex == nil || len(r.RequiredRules) > 0 {
		return nil
	}
	src := r.Regex.String()
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return r.Regex
	}
	if stripped := dropEmptyPrefix(re); stripped != re {
		if pre, err := compileGitleaks(stripped.String()); err == nil {
			return pre
		}
	}
	return r.Regex
}

// dropEmptyPrefix returns re without the leading elements of its top-level
// concatenation that match the empty string (x{0,n}, x*, \b, ^ is kept),
// or re itself when there are none. The rest of the concatenation, found
// anywhere in the same text, still holds where every match of re ends.
func dropEmptyPrefix(re *syntax.Regexp) *syntax.Regexp {
	if re.Op != syntax.OpConcat {
		return re
	}
	i := 0
	for i < len(re.Sub)-1 && dropsAtFront(re.Sub[i]) {
		i++
	}
	if i == 0 {
		return re
	}
	out := *re
	out.Sub = re.Sub[i:]
	return &out
}

// dropsAtFront reports whether sub can match the empty string and asserts
// nothing a later element depends on: an optional repeat, or a word
// boundary (the text around the rest is the same text, so the rest's own
// assertions still see it). Anchors are kept: ^ does narrow.
func dropsAtFront(sub *syntax.Regexp) bool {
	switch sub.Op {
	case syntax.OpWordBoundary, syntax.OpEmptyMatch:
		return true
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return sub.Min == 0
	}
	return false
}

var errPrefilter = errors.New("prefilter does not compile")

// compileGitleaks compiles with the engine gitleaks was built with (Go's
// regexp, or RE2 under -tags gore2regex), recovering from its panic.
func compileGitleaks(src string) (re *regexp.Regexp, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errPrefilter
		}
	}()
	return regexp.MustCompile(src), nil
}

// ruleNeeds are, for rules whose prefilter is still costly, a test on a
// file's text (ASCII lower-cased) that must pass for the rule to match
// anywhere in it, written out from the rule's pattern. Each lets through
// any file with a character that case-folds to an ASCII letter (the
// Kelvin sign, the long s): under (?i) those match k and s.
var ruleNeeds = map[string]func(lower []byte) bool{
	// s\.(?i:[a-z0-9]{24}) or hvs\.[\w-]{90,120}: "s." and 24 more.
	"vault-service-token": func(lower []byte) bool {
		return foldsToASCII(lower) || hasRunAfter(lower, []byte("s."), 24, func(c byte) bool {
			return isNameByte(c) && c != '.' || c >= 0x80
		})
	},
	// Both alternatives hold kind:[ \t]*["']?secret and data:.
	"kubernetes-secret-yaml": func(lower []byte) bool {
		if foldsToASCII(lower) {
			return true
		}
		if !bytes.Contains(lower, []byte("data:")) {
			return false
		}
		for off := 0; ; {
			i := bytes.Index(lower[off:], []byte("kind:"))
			if i < 0 {
				return false
			}
			j := off + i + len("kind:")
			for j < len(lower) && (lower[j] == ' ' || lower[j] == '\t') {
				j++
			}
			if j < len(lower) && (lower[j] == '"' || lower[j] == '\'') {
				j++
			}
			if bytes.HasPrefix(lower[j:], []byte("secret")) {
				return true
			}
			off = j
		}
	},
}

// foldsToASCII reports whether text holds U+017F (ſ) or U+212A (K), which
// (?i) matches as s and k.
func foldsToASCII(text []byte) bool {
	return bytes.Contains(text, []byte("\u017f")) || bytes.Contains(text, []byte("\u212a"))
}

// hasRunAfter reports whether lit is somewhere followed by n bytes that
// all satisfy ok.
func hasRunAfter(text, lit []byte, n int, ok func(byte) bool) bool {
	for off := 0; ; {
		i := bytes.Index(text[off:], lit)
		if i < 0 {
			return false
		}
		j := off + i + len(lit)
		k := j
		for k < len(text) && k-j < n && ok(text[k]) {
			k++
		}
		if k-j >= n {
			return true
		}
		off = j
	}
}
