package manager

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
)

// ParseMatcher reads one silence matcher: name=value, name!=value,
// name=~regexp or name!~regexp. A regexp must match the whole value.
func ParseMatcher(s string) (record.Matcher, error) {
	i := strings.IndexAny(s, "=!")
	if i > 0 {
		rest := s[i:]
		for _, op := range []string{record.MatchRegexp, record.MatchNotRegex, record.MatchNotEqual, record.MatchEqual} {
			if strings.HasPrefix(rest, op) {
				m := record.Matcher{Name: strings.TrimSpace(s[:i]), Op: op, Value: strings.Trim(strings.TrimSpace(rest[len(op):]), `"`)}
				return m, validateMatcher(m)
			}
		}
	}
	return record.Matcher{}, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
}

// ParseMatchers reads matchers with ParseMatcher.
func ParseMatchers(ss []string) ([]record.Matcher, error) {
	var out []record.Matcher
	for _, s := range ss {
		m, err := ParseMatcher(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func validateMatcher(m record.Matcher) error {
	if m.Name == "" {
		return errors.New("matcher: empty label name")
	}
	switch m.Op {
	case record.MatchEqual, record.MatchNotEqual:
	case record.MatchRegexp, record.MatchNotRegex:
		if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return fmt.Errorf("matcher %s%s%s: %w", m.Name, m.Op, m.Value, err)
		}
	default:
		return fmt.Errorf("matcher %s: unknown operator %q", m.Name, m.Op)
	}
	return nil
}

// silenceSet is the silences active at one evaluation, compiled.
type silenceSet []compiledSilence

type compiledSilence struct {
	id       int64
	matchers []compiledMatcher
}

type compiledMatcher struct {
	record.Matcher
	re *regexp.Regexp
}

func compileSilences(ss []record.Silence) silenceSet {
	var out silenceSet
	for _, s := range ss {
		cs := compiledSilence{id: s.ID}
		ok := len(s.Matchers) > 0 // a silence without matchers mutes nothing
		for _, m := range s.Matchers {
			cm := compiledMatcher{Matcher: m}
			if m.Op == record.MatchRegexp || m.Op == record.MatchNotRegex {
				re, err := regexp.Compile("^(?:" + m.Value + ")$")
				if err != nil {
					ok = false
					break
				}
				cm.re = re
			}
			cs.matchers = append(cs.matchers, cm)
		}
		if ok {
			out = append(out, cs)
		}
	}
	return out
}

// silencedBy returns the ID of a silence muting an alert with labels, or 0.
func (ss silenceSet) silencedBy(labels map[string]string) int64 {
	for _, s := range ss {
		if s.matches(labels) {
			return s.id
		}
	}
	return 0
}

func (s compiledSilence) matches(labels map[string]string) bool {
	for _, m := range s.matchers {
		v := labels[m.Name]
		var ok bool
		switch m.Op {
		case record.MatchEqual:
			ok = v == m.Value
		case record.MatchNotEqual:
			ok = v != m.Value
		case record.MatchRegexp:
			ok = m.re.MatchString(v)
		case record.MatchNotRegex:
			ok = !m.re.MatchString(v)
		}
		if !ok {
			return false
		}
	}
	return true
}
