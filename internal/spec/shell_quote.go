package spec

import (
	"errors"
	"strconv"
	"strings"
)

// shell contexts quoteForShell tracks.
const (
	ctxPlain    = iota // top level or inside $( )
	ctxSingle          // '...'
	ctxDouble          // "..."
	ctxBacktick        // `...`
	ctxParam           // ${...}
)

type frame struct {
	kind   int
	parens int // open ( inside a $( ) frame
	subst  bool
}

// quoteForShell replaces each value marker in s with the value at that
// index, quoted for the shell context the marker sits in.
func quoteForShell(s string, vals []string) (string, error) {
	var b strings.Builder
	stack := []frame{{kind: ctxPlain}}
	heredoc := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		top := &stack[len(stack)-1]
		if c == markOpen {
			j := i + 1
			for j < len(rs) && rs[j] != markClose {
				j++
			}
			k, err := strconv.Atoi(string(rs[i+1 : j]))
			if err != nil || k < 0 || k >= len(vals) || j == len(rs) {
				return "", errors.New("internal: bad value marker")
			}
			if err := writeValue(&b, top.kind, heredoc, vals[k]); err != nil {
				return "", err
			}
			i = j
			continue
		}
		b.WriteRune(c)
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch top.kind {
		case ctxSingle:
			if c == '\'' {
				stack = stack[:len(stack)-1]
			}
		case ctxDouble, ctxBacktick, ctxParam:
			switch {
			case c == '\\' && next != 0 && next != markOpen:
				b.WriteRune(next)
				i++
			case c == '"' && top.kind == ctxDouble, c == '`' && top.kind == ctxBacktick, c == '}' && top.kind == ctxParam:
				stack = stack[:len(stack)-1]
			case c == '$' && next == '(':
				b.WriteRune(next)
				i++
				stack = append(stack, frame{kind: ctxPlain, subst: true})
			case c == '$' && next == '{':
				b.WriteRune(next)
				i++
				stack = append(stack, frame{kind: ctxParam})
			case c == '`' && top.kind != ctxBacktick:
				stack = append(stack, frame{kind: ctxBacktick})
			}
		case ctxPlain:
			switch {
			case c == '\\' && next != 0 && next != markOpen:
				b.WriteRune(next)
				i++
			case c == '\'':
				stack = append(stack, frame{kind: ctxSingle})
			case c == '"':
				stack = append(stack, frame{kind: ctxDouble})
			case c == '`':
				stack = append(stack, frame{kind: ctxBacktick})
			case c == '$' && next == '(':
				b.WriteRune(next)
				i++
				stack = append(stack, frame{kind: ctxPlain, subst: true})
			case c == '$' && next == '{':
				b.WriteRune(next)
				i++
				stack = append(stack, frame{kind: ctxParam})
			case c == '(' && top.subst:
				top.parens++
			case c == ')' && top.subst && top.parens > 0:
				top.parens--
			case c == ')' && top.subst:
				stack = stack[:len(stack)-1]
			case c == '<' && next == '<':
				heredoc = true
			case c == '#' && wordStart(rs, i):
				for i+1 < len(rs) && rs[i+1] != '\n' {
					if rs[i+1] == markOpen {
						return "", errors.New("template value inside a shell comment")
					}
					i++
					b.WriteRune(rs[i])
				}
			}
		}
	}
	return b.String(), nil
}

func wordStart(rs []rune, i int) bool {
	return i == 0 || strings.ContainsRune(" \t\n;&|()", rs[i-1])
}

func writeValue(b *strings.Builder, ctx int, heredoc bool, v string) error {
	if strings.ContainsRune(v, 0) {
		return errors.New("a template value contains a NUL byte")
	}
	if heredoc {
		return errors.New("template values after a here-document (<<) are not supported; pass them as arguments or environment")
	}
	switch ctx {
	case ctxPlain:
		b.WriteString(ShellQuote(v))
	case ctxSingle:
		b.WriteString(strings.ReplaceAll(v, "'", `'\''`))
	case ctxDouble:
		b.WriteString(`"` + ShellQuote(v) + `"`)
	case ctxBacktick:
		return errors.New("template values inside backticks are not supported; use $( ) instead")
	case ctxParam:
		return errors.New("template values inside ${...} are not supported")
	}
	return nil
}

// ShellQuote returns s as one single-quoted POSIX shell word.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
