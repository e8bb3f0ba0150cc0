package spec

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// A template value never enters the command text. Render hands each value
// to the shell in its own environment variable (GANTRY_TPL_1, …) and writes
// only a fixed reference to it, ${GANTRY_TPL_n}, where the action stood.
//
// Why this is safe whatever the command looks like: a POSIX shell parses
// the command text once, and the result of a parameter expansion is never
// parsed again as shell syntax; at most it is split into fields and
// globbed. So the bytes of a value can only ever be data. The tracker
// below guesses the shell context of each action only to choose the form
// of the reference ("${T}" unquoted, ${T} inside double quotes, '"${T}"'
// inside single quotes, …) so that the value arrives as exactly one word.
// A wrong guess can change how the author's own text around the reference
// is quoted, or split or glob the value: wrong data or a syntax error,
// never code, because the reference itself is constant text.
//
// What it cannot protect: commands that evaluate text on purpose (eval,
// sh -c, source, ssh, awk or python programs), and bash's arithmetic,
// which evaluates a variable's text as an expression that can run a
// command through an array subscript. The tracker refuses any value that
// is not an integer where it sees arithmetic ($(( )), bash's ${x:off} and
// ${a[i]}); bash's (( )), let and [[ -eq ]] are out of its sight.

// shell contexts the tracker knows.
const (
	ctxPlain         = iota // top level, $( ) or `...`
	ctxSingle               // '...'
	ctxDollarSingle         // $'...' (bash, ksh, POSIX 2024)
	ctxDouble               // "..."
	ctxParam                // ${...}
	ctxArith                // $(( ))
	ctxHeredoc              // body of <<EOF
	ctxHeredocQuoted        // body of <<'EOF': nothing is expanded
)

// parts of a ${...} expansion.
const (
	paramName    = iota // ${name
	paramIndex          // ${a[i]: arithmetic in bash
	paramWord           // ${x:-word}
	paramPattern        // ${x#pattern}
	paramArith          // ${x:offset}: arithmetic in bash
)

type frame struct {
	kind     int
	backtick bool // ctxPlain opened by `
	subst    bool // ctxPlain opened by $(
	parens   int  // open ( inside $( ) or $(( ))
	cases    int  // open case … esac inside $( ), whose ) are patterns
	quoted   bool // ctxParam: inside double quotes or a here-document
	part     int  // ctxParam: paramName …
	nameLen  int  // ctxParam: runes of the name read so far
	delim    heredoc
}

type heredoc struct {
	word   string
	quoted bool // <<'EOF', <<"EOF" or <<\EOF
	tabs   bool // <<-EOF
}

// tracker walks the template's output, in which each value is a marker,
// and writes the command with each marker replaced by a reference.
type tracker struct {
	rs      []rune
	i       int
	b       strings.Builder
	stack   []frame
	pending []heredoc // here-documents whose body starts at the next newline
	vals    []string
}

// TemplateVar is the environment variable that carries the n-th (1-based)
// template value of a rendered command.
func TemplateVar(n int) string { return "GANTRY_TPL_" + strconv.Itoa(n) }

// referenceValues replaces each value marker in s with a reference to
// the variable that carries it.
func referenceValues(s string, vals []string) (string, error) {
	t := &tracker{rs: []rune(s), stack: []frame{{kind: ctxPlain}}, vals: vals}
	for t.i < len(t.rs) {
		if err := t.step(); err != nil {
			return "", err
		}
	}
	return t.b.String(), nil
}

func (t *tracker) top() *frame   { return &t.stack[len(t.stack)-1] }
func (t *tracker) push(f frame)  { t.stack = append(t.stack, f) }
func (t *tracker) pop()          { t.stack = t.stack[:len(t.stack)-1] }
func (t *tracker) at(k int) rune { return runeAt(t.rs, t.i+k) }
func (t *tracker) copyN(n int)   { t.b.WriteString(string(t.rs[t.i : t.i+n])); t.i += n }
func (t *tracker) lookingAt(s string) bool {
	return strings.HasPrefix(string(t.rs[t.i:min(len(t.rs), t.i+len(s))]), s)
}

func runeAt(rs []rune, i int) rune {
	if i < 0 || i >= len(rs) {
		return 0
	}
	return rs[i]
}

func (t *tracker) step() error {
	if t.at(0) == markOpen {
		return t.value()
	}
	switch top := t.top(); top.kind {
	case ctxSingle:
		if t.at(0) == '\'' {
			t.pop()
		}
		t.copyN(1)
	case ctxDollarSingle:
		switch t.at(0) {
		case '\\':
			t.copyEscape()
			return nil
		case '\'':
			t.pop()
		}
		t.copyN(1)
	case ctxHeredocQuoted, ctxHeredoc:
		return t.heredocBody(top)
	case ctxPlain:
		return t.plain(top)
	default:
		t.expanding(top)
	}
	return nil
}

// copyEscape copies a backslash and what it escapes, unless that is a
// value: the reference must stay whole.
func (t *tracker) copyEscape() {
	if n := t.at(1); n != 0 && n != markOpen {
		t.copyN(2)
		return
	}
	t.copyN(1)
}

// plain steps through the top level, $( ) and backticks.
func (t *tracker) plain(top *frame) error {
	c := t.at(0)
	start := wordStart(t.rs, t.i)
	switch {
	case c == '\\':
		t.copyEscape()
		return nil
	case c == '`' && top.backtick:
		t.pop()
	case c == '$' && t.at(1) == '\'':
		t.copyN(2)
		t.push(frame{kind: ctxDollarSingle})
		return nil
	case t.opens(false):
		return nil
	case c == '\'':
		t.push(frame{kind: ctxSingle})
	case c == '"':
		t.push(frame{kind: ctxDouble})
	case c == '#' && start:
		return t.comment()
	case start && t.keyword("case"):
		top.cases++
		return nil
	case start && t.keyword("esac"):
		top.cases = max(0, top.cases-1)
		return nil
	case c == '(' && top.subst:
		top.parens++
	case c == ')' && top.subst && top.parens > 0:
		top.parens--
	case c == ')' && top.subst && top.cases == 0:
		t.pop()
	case t.lookingAt("<<<"):
		t.copyN(3)
		return nil
	case t.lookingAt("<<"):
		return t.heredocStart()
	case c == '\n' && len(t.pending) > 0:
		t.copyN(1)
		t.startBody()
		return nil
	}
	t.copyN(1)
	return nil
}

// keyword copies the reserved word w if it stands at the cursor.
func (t *tracker) keyword(w string) bool {
	if !t.lookingAt(w) || !strings.ContainsRune(" \t\n;&|()", t.at(len(w))) && t.at(len(w)) != 0 {
		return false
	}
	t.copyN(len(w))
	return true
}

// comment copies a comment to the end of its line. A value in it becomes
// a reference too, though the shell never expands it.
func (t *tracker) comment() error {
	for t.i < len(t.rs) && t.at(0) != '\n' {
		if t.at(0) == markOpen {
			if err := t.value(); err != nil {
				return err
			}
			continue
		}
		t.copyN(1)
	}
	return nil
}

func wordStart(rs []rune, i int) bool {
	return i == 0 || strings.ContainsRune(" \t\n;&|()`", rs[i-1])
}

var integer = regexp.MustCompile(`^[-+]?[0-9]+$`)

// value writes the reference to the value whose marker is at the cursor,
// in the form that makes it one word in the current context.
func (t *tracker) value() error {
	j := t.i + 1
	for j < len(t.rs) && t.rs[j] != markClose {
		j++
	}
	k, err := strconv.Atoi(string(t.rs[t.i+1 : j]))
	if err != nil || k < 0 || k >= len(t.vals) || j == len(t.rs) {
		return errors.New("internal: bad value marker")
	}
	t.i = j + 1
	ref := "${" + TemplateVar(k+1) + "}"
	top := t.top()
	arith := top.kind == ctxArith || top.kind == ctxParam && (top.part == paramIndex || top.part == paramArith)
	switch {
	case arith && !integer.MatchString(t.vals[k]):
		return errors.New("a template value inside shell arithmetic must be an integer")
	case arith, top.kind == ctxDouble, top.kind == ctxHeredoc,
		top.kind == ctxParam && top.part == paramWord && top.quoted:
		t.b.WriteString(ref)
	case top.kind == ctxSingle:
		t.b.WriteString(`'"` + ref + `"'`)
	case top.kind == ctxDollarSingle:
		t.b.WriteString(`'"` + ref + `"$'`)
	case top.kind == ctxHeredocQuoted:
		return errors.New("template values in a here-document with a quoted delimiter (<<'EOF') are not expanded; unquote the delimiter")
	default: // plain, backticks, ${x:-word}, ${x#pattern}
		t.b.WriteString(`"` + ref + `"`)
	}
	return nil
}
