package check

import (
	"regexp"
	"strings"
)

// markdown is what the runbook rules need of a Markdown file: its code
// and its failure-mode sections. It is not a full CommonMark parser: code
// spans do not cross lines, and indented code blocks are prose.
type markdown struct {
	code     []code
	sections []section
	headings []string // below the title (level 2 and deeper), in order
}

// code is one line of a fenced block or one inline code span.
type code struct {
	Line, Col int // 1-based, of Text's first byte
	Text      string
	Block     bool
	Heading   string // the nearest heading above it; "" before the first
}

// pos is the line and column of byte offset of c's Text: past its first
// line when a fenced command was continued over lines.
func (c code) pos(offset int) (line, col int) {
	nl := strings.LastIndexByte(c.Text[:min(offset, len(c.Text))], '\n')
	if nl < 0 {
		return c.Line, c.Col + offset
	}
	return c.Line + strings.Count(c.Text[:nl+1], "\n"), offset - nl
}

// section is the text under one heading of the level that splits the
// runbook into failure modes.
type section struct {
	title           string
	line, level     int
	diag, rec       bool // a diagnosis or recovery part was started
	diagCmd, recCmd bool // ... and names a command
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	// markerRe matches a line that starts a diagnosis or recovery part:
	// "Diagnosis:", "**Recovery**:", "### Diagnosis".
	markerRe = regexp.MustCompile(`^[ \t#*_>-]*(?i:(diagnos\w*|cause\w*|investigat\w*|triage)|(recover\w*|fix\w*|mitigat\w*|remediat\w*|resolution|resolv\w*))[ \t]*(?:\*\*|__)?[ \t]*(?::|$)`)
)

const (
	phaseNone = iota
	phaseDiag
	phaseRec
)

func parseMarkdown(text string) *markdown {
	lines := strings.Split(text, "\n")
	type headingAt struct{ line, level int }
	var heads []headingAt
	var fence string
	md := &markdown{}
	inFence := make([]bool, len(lines))
	continued := -1 // the line that continues a fenced command ending in \
	heading := ""
	for i, line := range lines {
		line = strings.TrimRight(line, "\r")
		lines[i] = line
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[1]
				inFence[i] = true
				continue
			case strings.HasPrefix(m[1], fence[:1]) && len(m[1]) >= len(fence):
				fence = ""
				inFence[i] = true
				continue
			}
		}
		if fence != "" {
			inFence[i] = true
			if n := len(md.code); n > 0 && md.code[n-1].Block && continued == i {
				// The line before ended in a backslash: one command, as
				// the shell reads it.
				md.code[n-1].Text += "\n" + line
			} else if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				md.code = append(md.code, code{Line: i + 1, Col: len(line) - len(strings.TrimLeft(line, " \t")) + 1, Text: strings.TrimLeft(line, " \t"), Block: true, Heading: heading})
			} else {
				continue
			}
			if trailing := len(line) - len(strings.TrimRight(line, "\\")); trailing%2 == 1 {
				continued = i + 1 // an odd run of backslashes: the last escapes the newline
			}
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			heads = append(heads, headingAt{i, len(m[1])})
			heading = m[2]
			if len(m[1]) > 1 {
				md.headings = append(md.headings, m[2])
			}
		}
		for _, c := range spans(line, i+1) {
			c.Heading = heading
			md.code = append(md.code, c)
		}
	}
	level := splitLevel(func(yield func(int) bool) {
		for _, h := range heads {
			if !yield(h.level) {
				return
			}
		}
	})
	for k, h := range heads {
		if h.level != level {
			continue
		}
		end := len(lines)
		for _, n := range heads[k+1:] {
			if n.level <= level {
				end = n.line
				break
			}
		}
		title := headingRe.FindStringSubmatch(lines[h.line])[2]
		s := section{title: title, line: h.line + 1, level: level}
		phase := phaseNone
		for i := h.line + 1; i < end; i++ {
			if !inFence[i] {
				if m := markerRe.FindStringSubmatch(lines[i]); m != nil {
					if m[1] != "" {
						phase, s.diag = phaseDiag, true
					} else {
						phase, s.rec = phaseRec, true
					}
				}
			}
			if !namesCommand(md.code, i+1) {
				continue
			}
			switch phase {
			case phaseDiag:
				s.diagCmd = true
			case phaseRec:
				s.recCmd = true
			}
		}
		md.sections = append(md.sections, s)
	}
	return md
}

// splitLevel is the smallest heading level used more than once, or the
// smallest level when none is.
func splitLevel(levels func(func(int) bool)) int {
	count := map[int]int{}
	lowest := 0
	for l := range levels {
		count[l]++
		if lowest == 0 || l < lowest {
			lowest = l
		}
	}
	for l := 1; l <= 6; l++ {
		if count[l] > 1 {
			return l
		}
	}
	return lowest
}

// namesCommand reports whether line holds code that looks like a command:
// a line of a code block, or a span of more than one word or a path.
func namesCommand(cs []code, line int) bool {
	for _, c := range cs {
		if c.Line != line {
			continue
		}
		t := strings.TrimSpace(c.Text)
		if c.Block || strings.ContainsAny(t, " \t") || strings.HasPrefix(t, "./") || strings.HasPrefix(t, "/") {
			return true
		}
	}
	return false
}

// spans returns the inline code spans of one line.
func spans(line string, n int) []code {
	var out []code
	for i := 0; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		tick := line[i:j]
		end := strings.Index(line[j:], tick)
		// The closing run must be exactly as long as the opening one.
		for end >= 0 && j+end+len(tick) < len(line) && line[j+end+len(tick)] == '`' {
			next := strings.Index(line[j+end+len(tick)+1:], tick)
			if next < 0 {
				end = -1
				break
			}
			end += len(tick) + 1 + next
		}
		if end < 0 {
			i = j
			continue
		}
		text := line[j : j+end]
		lead := len(text) - len(strings.TrimLeft(text, " "))
		if t := strings.TrimSpace(text); t != "" {
			out = append(out, code{Line: n, Col: j + lead + 1, Text: t})
		}
		i = j + end + len(tick)
	}
	return out
}
