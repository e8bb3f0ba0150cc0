package ui

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"when":      when,
	"duration":  duration,
	"short":     short,
	"ago":       ago,
	"bytes":     humanBytes,
	"pct":       pct,
	"path":      url.PathEscape,
	"query":     url.QueryEscape,
	"words":     words,
	"dur":       humanDuration,
	"dict":      dict,
	"lines":     diffLines,
	"hasSuffix": strings.HasSuffix,
}

// diffLine is one line of a unified diff and how it is drawn.
type diffLine struct {
	Class string // add, del, hunk, file or "" for context
	Text  string
}

// diffLines splits a unified diff into lines classed for colour.
func diffLines(unified string) []diffLine {
	var out []diffLine
	for l := range strings.SplitSeq(strings.TrimSuffix(unified, "\n"), "\n") {
		c := ""
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
			c = "file"
		case strings.HasPrefix(l, "@@"):
			c = "hunk"
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		}
		out = append(out, diffLine{c, l})
	}
	return out
}

// dict makes a map of its key, value arguments, for a sub-template.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 MST")
}

func duration(from, to time.Time) string {
	if from.IsZero() || to.IsZero() {
		return "—"
	}
	return to.Sub(from).Round(time.Millisecond).String()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// ago says how long before now t was, in round words.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	if d < 0 {
		return "in " + humanDuration(-d)
	}
	return humanDuration(d) + " ago"
}

// humanDuration is d rounded to what a person reads: 45s, 12m, 3h20m, 4d.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return strconv.Itoa(h) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func humanBytes(n int64) string {
	if n <= 0 {
		return "—"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// pct is part of whole in percent, or "—" when whole is 0.
func pct(part, whole int) string {
	if whole == 0 {
		return "—"
	}
	return strconv.Itoa(int(math.Round(100*float64(part)/float64(whole)))) + "%"
}

// words turns a state like "timed_out" into "timed out".
func words(v any) string { return spaced(fmt.Sprint(v)) }

func spaced(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '_' {
			b[i] = ' '
		}
	}
	return string(b)
}
