package spec

import (
	"errors"
	"strings"
)

// heredocStart copies a here-document operator and its delimiter word at
// the cursor; its body starts at the next newline.
func (t *tracker) heredocStart() error {
	t.copyN(2)
	h := heredoc{}
	if t.at(0) == '-' {
		h.tabs = true
		t.copyN(1)
	}
	for t.at(0) == ' ' || t.at(0) == '\t' {
		t.copyN(1)
	}
	var word strings.Builder
	for t.i < len(t.rs) && !strings.ContainsRune(" \t\n;&|<>()", t.at(0)) {
		switch c := t.at(0); c {
		case markOpen:
			return errors.New("a template value cannot be a here-document delimiter")
		case '\'', '"':
			h.quoted = true
			t.copyN(1)
			for t.i < len(t.rs) && t.at(0) != c {
				if c == '"' && t.at(0) == '\\' && t.at(1) != 0 {
					t.copyN(1)
				}
				if t.at(0) == markOpen {
					return errors.New("a template value cannot be a here-document delimiter")
				}
				word.WriteRune(t.at(0))
				t.copyN(1)
			}
			if t.i < len(t.rs) {
				t.copyN(1)
			}
		case '\\':
			h.quoted = true
			t.copyEscape()
			word.WriteRune(t.rs[t.i-1])
		default:
			word.WriteRune(c)
			t.copyN(1)
		}
	}
	if h.word = word.String(); h.word != "" {
		t.pending = append(t.pending, h)
	}
	return nil
}

// startBody enters the body of the next pending here-document.
func (t *tracker) startBody() {
	if len(t.pending) == 0 {
		return
	}
	h := t.pending[0]
	t.pending = t.pending[1:]
	kind := ctxHeredoc
	if h.quoted {
		kind = ctxHeredocQuoted
	}
	t.push(frame{kind: kind, delim: h})
}

// heredocBody steps through a here-document's body, which ends at a line
// that is its delimiter. An unquoted body expands $, ` and \ as double
// quotes do, but a " in it is an ordinary character.
func (t *tracker) heredocBody(top *frame) error {
	if t.i == 0 || t.rs[t.i-1] == '\n' {
		j := t.i
		for j < len(t.rs) && t.rs[j] != '\n' {
			j++
		}
		line := string(t.rs[t.i:j])
		if top.delim.tabs {
			line = strings.TrimLeft(line, "\t")
		}
		if line == top.delim.word {
			t.copyN(min(j+1, len(t.rs)) - t.i)
			t.pop()
			t.startBody()
			return nil
		}
	}
	switch {
	case top.kind == ctxHeredocQuoted:
		t.copyN(1)
	case t.at(0) == '\\':
		t.copyEscape()
	case t.opens(true):
	default:
		t.copyN(1)
	}
	return nil
}
