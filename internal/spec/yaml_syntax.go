package spec

import (
	"bytes"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
)

// syntaxLine returns the line a YAML syntax error is on. yaml.v3 names the
// line where the construct around the error began, and for the parser's
// errors counts it from 0: a bad indentation six lines into a list came
// out as the list's line before. yaml.v2, the same parser, names the line
// where the problem was found (from 0 too, for the parser's errors), so
// the file is parsed again with it and the better of the two is taken:
//
//   - an unclosed flow collection ({a: 1 or [a, b): where it opened, v3's
//     line plus one;
//   - another "did not find expected …" from the parser: where it was
//     found, v2's line plus one;
//   - an unterminated quoted string (unexpected end of stream), a key
//     without its ':' (could not find expected ':'): where it began, v3's
//     line;
//   - any other error of the scanner (a tab, a stray ':', a character
//     that cannot start a token): v2's line.
func syntaxLine(data []byte, msg string, v3Line int) int {
	var v any
	err := yamlv2.Unmarshal(data, &v)
	v2Line := 0
	if err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			v2Line, _ = strconv.Atoi(m[1])
		}
	}
	switch {
	case strings.HasPrefix(msg, "did not find expected ',' or"):
		return v3Line + 1
	case strings.HasPrefix(msg, "did not find expected") && v2Line > 0:
		return v2Line + 1
	case msg == "found unexpected end of stream", msg == "could not find expected ':'", v2Line == 0:
		return v3Line
	}
	return v2Line
}

// tabIndent finds the first line, from line on (1-based), or else from
// the top, whose indentation holds a tab, and the tab's column.
func tabIndent(data []byte, line int) (Pos, bool) {
	if p, ok := tabIndentFrom(data, line); ok {
		return p, true
	}
	return tabIndentFrom(data, 1)
}

func tabIndentFrom(data []byte, line int) (Pos, bool) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 < line {
			continue
		}
		for col, c := range l {
			if c == '\t' {
				return Pos{Line: i + 1, Col: col + 1}, true
			}
			if c != ' ' {
				break
			}
		}
	}
	return Pos{}, false
}

// tabIndentOn reports the tab in the indentation of line (1-based), if
// there is one.
func tabIndentOn(data []byte, line int) (Pos, bool) {
	p, ok := tabIndentFrom(data, line)
	return p, ok && p.Line == line
}
