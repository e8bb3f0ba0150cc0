package spec

import "strings"

// opens pushes the frame that $( $(( ${ or ` at the cursor opens, and
// reports whether it did. quoted says the cursor is inside double quotes
// or a here-document.
func (t *tracker) opens(quoted bool) bool {
	switch {
	case t.lookingAt("$(("):
		t.copyN(3)
		t.push(frame{kind: ctxArith})
	case t.lookingAt("$("):
		t.copyN(2)
		t.push(frame{kind: ctxPlain, subst: true})
	case t.lookingAt("${"):
		t.copyN(2)
		t.push(frame{kind: ctxParam, quoted: quoted})
	case t.at(0) == '`':
		t.copyN(1)
		t.push(frame{kind: ctxPlain, backtick: true})
	default:
		return false
	}
	return true
}

// expanding steps through double quotes, ${...} and $(( )).
func (t *tracker) expanding(top *frame) {
	c := t.at(0)
	if c == '\\' {
		t.copyEscape()
		return
	}
	if top.kind == ctxParam && top.part < paramWord {
		if t.paramPart(top) {
			return
		}
	}
	if c == '`' && top.kind == ctxDouble && len(t.stack) > 1 && t.stack[len(t.stack)-2].backtick {
		// "…" cannot span the end of `…`: the first ` ends it.
		t.pop()
		t.pop()
		t.copyN(1)
		return
	}
	quoted := top.kind == ctxDouble || top.kind == ctxParam && top.quoted
	if t.opens(quoted) {
		return
	}
	switch top.kind {
	case ctxDouble:
		if c == '"' {
			t.pop()
		}
	case ctxParam:
		switch {
		case c == '}':
			t.pop()
		case c == '"':
			t.push(frame{kind: ctxDouble})
		case c == '\'' && !top.quoted && top.part >= paramWord:
			t.push(frame{kind: ctxSingle})
		}
	case ctxArith:
		switch {
		case c == '(':
			top.parens++
		case c == ')' && top.parens > 0:
			top.parens--
		case c == ')':
			t.pop()
			if t.at(1) == ')' {
				t.copyN(1)
			}
		}
	}
	t.copyN(1)
}

// paramPart follows the name and operator of a ${...} expansion, and
// reports whether it consumed the rune at the cursor.
func (t *tracker) paramPart(top *frame) bool {
	c := t.at(0)
	switch {
	case top.part == paramIndex:
		if c == ']' {
			top.part = paramName
		}
		return false
	case top.nameLen == 0 && (c == '#' || c == '!') && t.at(1) != '}':
		t.copyN(1) // ${#x}, ${!x}
		return true
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9',
		top.nameLen == 0 && strings.ContainsRune("@*#?$!-", c):
		top.nameLen++
		t.copyN(1)
		return true
	case c == '[':
		top.part = paramIndex
		return false
	case c == ':' && strings.ContainsRune("-=?+", t.at(1)):
		top.part = paramWord
		t.copyN(2)
		return true
	case c == ':':
		top.part = paramArith
	case strings.ContainsRune("-=?+", c):
		top.part = paramWord
	case strings.ContainsRune("#%/^,@", c):
		top.part = paramPattern
	}
	return false
}
