package secrets

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// lineStarts returns the offset of every line's first byte.
func lineStarts(text []byte) []int {
	starts := make([]int, 1, bytes.Count(text, []byte{'\n'})+1)
	for i, c := range text {
		if c == '\n' && i+1 < len(text) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf returns the 0-based line that holds offset i.
func lineOf(starts []int, i int) int {
	l, found := slices.BinarySearch(starts, i)
	if found {
		return l
	}
	return l - 1
}

// genericLines adds to lines those generic-api-key must see for the
// keyword that ends at end, on line: where the keyword is followed, within
// a few name or quote characters, by an assignment operator and a value of
// the shape the rule's pattern needs, one that could pass its allowlist
// and entropy floor. It lets more through than the pattern does, never
// less. As the pattern lets white space (a newline too) stand around the
// operator, every line from the keyword's to the value's is kept.
func genericLines(lines []int, lower []byte, starts []int, line, end int) []int {
	v := genericValueAfter(lower, end)
	if v < 0 || !genericSecretCanFollow(lower, starts, end, v) {
		return lines
	}
	for l, last := line, lineOf(starts, v); l <= last; l++ {
		lines = append(lines, l)
	}
	return lines
}

// genericValueAfter follows generic-api-key's pattern from the end of a
// keyword at i: up to 20 name characters and 3 blanks or quotes, an
// operator, a few more operator, blank or quote characters, then a value of
// 10 or more characters that ends at a quote, a blank, ';' or the end. It
// returns the offset of the value, or -1.
func genericValueAfter(lower []byte, i int) int {
	j, n := i, 0
	for ; j < len(lower) && n < 24 && (isNameByte(lower[j]) || isBlankOrQuote(lower[j])); j, n = j+1, n+1 {
	}
	if j >= len(lower) || !isOperator(lower[j]) {
		return -1
	}
	first := j + 1 // the earliest a value may start: '=' counts as a value byte
	for n = 0; j < len(lower) && n < 9 && (isOperator(lower[j]) || isBlankOrQuote(lower[j]) || lower[j] == '`'); j, n = j+1, n+1 {
	}
	v := j
	// [\w.=-]{10,150}
	end := v
	for end < len(lower) && (isNameByte(lower[end]) || lower[end] == '=') {
		end++
	}
	start := v
	for start > first && lower[start-1] == '=' {
		start--
	}
	if end-start >= 10 && valueEnds(lower, end) {
		return v
	}
	// [a-z0-9][a-z0-9+/]{11,}={0,3}
	end = v
	for end < len(lower) && ('a' <= lower[end] && lower[end] <= 'z' || '0' <= lower[end] && lower[end] <= '9' || lower[end] == '+' || lower[end] == '/') {
		end++
	}
	if end-v < 12 {
		return -1
	}
	for k := 0; k < 3 && end < len(lower) && lower[end] == '='; k++ {
		end++
	}
	if valueEnds(lower, end) {
		return v
	}
	return -1
}

// genericSecretCanFollow reports whether generic-api-key could report a
// secret that lies between a keyword ending at from and the end of the line
// holding the value at v. Most lines its pattern matches hold no secret:
// the rule's allowlist drops values of letters, '_', '.' and '-' alone
// (ORDERS_API_KEY, var.db_password), and its entropy floor of 3.5 bits
// needs 12 bytes or more (11 distinct bytes reach log2(11) = 3.46). The
// secret is made of the bytes isSecretByte accepts, so it lies in one run
// of them: one of 12 or more with a byte outside the allowlisted set must
// be there for the rule to report anything.
func genericSecretCanFollow(lower []byte, starts []int, from, v int) bool {
	end := len(lower)
	if l := lineOf(starts, v); l+1 < len(starts) {
		end = starts[l+1]
	}
	run, other := 0, false
	for _, c := range lower[from:end] {
		if !isSecretByte(c) {
			run, other = 0, false
			continue
		}
		run++
		other = other || !('a' <= c && c <= 'z' || c == '_' || c == '.' || c == '-')
		if run >= genericMinSecret && other {
			return true
		}
	}
	return false
}

// genericMinSecret is the shortest value whose entropy can pass
// generic-api-key's floor of 3.5 bits.
const genericMinSecret = 12

// isSecretByte reports whether c can be part of a value generic-api-key
// reports: [\w.=-] or [a-z0-9+/=], case-folded, which under (?i) also
// takes the Kelvin sign and the long s, hence every byte of a multi-byte
// character.
func isSecretByte(c byte) bool {
	return isNameByte(c) || c == '=' || c == '+' || c == '/' || c >= 0x80
}

// valueEnds reports whether a generic value may end before lower[i]: at a
// quote, a blank, ';', an escaped newline, or the end of the text.
func valueEnds(lower []byte, i int) bool {
	if i >= len(lower) {
		return true
	}
	switch c := lower[i]; c {
	case '`', '\'', '"', ' ', '\t', '\n', '\r', '\f', '\v', ';':
		return true
	case '\\':
		return i+1 < len(lower) && (lower[i+1] == 'n' || lower[i+1] == 'r')
	}
	return false
}

func isOperator(c byte) bool {
	return c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ','
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

func isBlankOrQuote(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\'' || c == '"'
}

// encodedLines returns the lines that hold something gitleaks' decoder
// would decode: a percent escape, a Unicode escape, or a run of base64 or
// hex that decodes to printable text. Only these lines need the decoding
// passes, which otherwise rerun every rule over the whole file.
func encodedLines(text []byte, starts []int) []int {
	marks := map[int]bool{}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '%' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			marks[lineOf(starts, i)] = true
		case (c == 'U' && i+1 < len(text) && text[i+1] == '+' || c == '\\' && i+1 < len(text) && (text[i+1] == 'u' || text[i+1] == 'U')) &&
			i+5 < len(text) && isHex(text[i+2]) && isHex(text[i+3]) && isHex(text[i+4]) && isHex(text[i+5]):
			marks[lineOf(starts, i)] = true
		case isB64(c):
			j := i
			for j < len(text) && isB64(text[j]) {
				j++
			}
			end := j
			for end < len(text) && end-j < 2 && text[end] == '=' {
				end++
			}
			if j-i >= 16 && decodes(text[i:end]) {
				marks[lineOf(starts, i)] = true
			}
			i = j - 1
		}
	}
	return sortedKeys(marks)
}

// decodes reports whether run, or a hex run of 32 or more in it, decodes to
// printable ASCII the way gitleaks' decoder requires.
func decodes(run []byte) bool {
	if bytes.ContainsAny(run, "0123456789+/-_") {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(string(run)); err == nil && printable(b) {
				return true
			}
		}
	}
	for i := 0; i < len(run); {
		j := i
		for j < len(run) && isHex(run[j]) {
			j++
		}
		if j-i >= 32 {
			return true
		}
		i = j + 1
	}
	return false
}

func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return len(b) > 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isB64(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '/' || c == '+' || c == '-'
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
