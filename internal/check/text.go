package check

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// ANSI colours for WriteText.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

// WriteText writes the report for a person: findings grouped by file and
// sorted by line, each with its one-line fix, then a summary line. color
// adds ANSI colours; pass it only when w is a terminal.
func WriteText(w io.Writer, rep *Report, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	fs := rep.Findings
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].File == fs[i].File {
			j++
		}
		group := fs[i:j]
		file := group[0].File
		if file == "" {
			file = "(project)"
		}
		if i > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString(paint(ansiBold, file) + "\n")
		width := 0
		for _, f := range group {
			width = max(width, len(position(f)))
		}
		for _, f := range group {
			pos := position(f)
			fmt.Fprintf(bw, "  %*s  %s  %s  %s\n", width, pos,
				paint(severityColor(f.Severity), fmt.Sprintf("%-7s", f.Severity)), f.Rule, f.Message)
			if f.Fix != "" {
				fmt.Fprintf(bw, "  %*s  %s\n", width, "", paint(ansiDim, "fix: "+f.Fix))
			}
		}
		i = j
	}
	if len(fs) > 0 {
		bw.WriteString("\n")
	}
	verdict := paint(ansiGreen, "ok")
	if !rep.Passed() {
		verdict = paint(ansiRed, "failed")
	}
	fmt.Fprintf(bw, "%s: %s, %s, %d info in %s; %d suppressed\n", verdict,
		plural(rep.Count(SeverityError), "error"), plural(rep.Count(SeverityWarning), "warning"),
		rep.Count(SeverityInfo), plural(len(rep.Files), "file"), len(rep.Suppressed))
	return bw.Flush()
}

func position(f Finding) string { return strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Col) }

func severityColor(s Severity) string {
	switch s {
	case SeverityError:
		return ansiRed
	case SeverityWarning:
		return ansiYellow
	}
	return ansiCyan
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
