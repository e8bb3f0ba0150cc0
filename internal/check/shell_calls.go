package check

import (
	"errors"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// call is one `gantry ...` invocation inside a piece of code.
type call struct {
	Offset int      // of "gantry" in the code text
	Args   []string // the words after gantry, as the shell passes them
}

// maxCuts bounds how often gantryCalls cuts prose off a code span the
// shell cannot read.
const maxCuts = 4

// gantryCalls finds the commands in a piece of shell that run gantry, read
// as a shell reads them: quotes and escapes removed, commands after ; && ||
// and | and inside $( ) and backquotes, comments dropped. A leading "$ "
// prompt, sudo or exec is skipped. Where the shell cannot read the text
// (prose after a command in a code span, an unclosed parenthesis), the
// text is cut before the first error and read again.
func gantryCalls(text string) []call {
	for range maxCuts {
		f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(text), "")
		var perr syntax.ParseError
		if errors.As(err, &perr) {
			cut := int(perr.Pos.Offset())
			if cut <= 0 || cut >= len(text) {
				cut = len(text) - 1
			}
			text = text[:cut]
			if strings.TrimSpace(text) == "" {
				return nil
			}
			continue
		}
		if err != nil {
			return nil
		}
		return callsIn(f, text)
	}
	return nil
}

func callsIn(f *syntax.File, text string) []call {
	var out []call
	syntax.Walk(f, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			return true
		}
		words := ce.Args
		for len(words) > 1 && (words[0].Lit() == "$" || words[0].Lit() == "sudo" || words[0].Lit() == "exec") {
			words = words[1:]
		}
		if len(words) < 2 || words[0].Lit() != "gantry" {
			return true
		}
		c := call{Offset: int(words[0].Pos().Offset())}
		for _, w := range words[1:] {
			c.Args = append(c.Args, wordText(w, text))
		}
		out = append(out, c)
		return true
	})
	return out
}

// wordText is what the shell passes for w: quotes removed, escapes
// resolved. An expansion ($VAR, $(cmd)) stays as written: its value is
// not known until the runbook is followed.
func wordText(w *syntax.Word, src string) string {
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(p.Value, ""))
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if l, ok := q.(*syntax.Lit); ok {
					b.WriteString(unescape(l.Value, "$`\"\\\n"))
				} else {
					b.WriteString(source(q, src))
				}
			}
		default:
			b.WriteString(source(p, src))
		}
	}
	return b.String()
}

// unescape removes the backslashes a shell removes: before any character
// outside quotes (only "" means any), before those of only inside them.
func unescape(s, only string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (only == "" || strings.IndexByte(only, s[i+1]) >= 0) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func source(n syntax.Node, src string) string {
	start, end := int(n.Pos().Offset()), int(n.End().Offset())
	if start < 0 || end > len(src) || start > end {
		return ""
	}
	return src[start:end]
}
